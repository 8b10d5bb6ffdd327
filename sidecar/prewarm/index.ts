// Wiring of pre-warm at the edge: the executor with its log lines, metric and
// the immediate probe after each load call.
import type { Registry } from 'prom-client';
import type { Datastore } from '../backends/datastore.ts';
import type { Logger } from '../log.ts';
import type { PrewarmOutcome } from '../scheduler/types.ts';
import { PrewarmExecutor } from './executor.ts';
import { prewarmCounter } from './metrics.ts';

export { PrewarmExecutor } from './executor.ts';

export interface PrewarmWiring {
  store: Datastore;
  registry: Registry;
  log: Logger;
  /** Probe a backend now (no-op without probing). */
  probeNow(backend: string): void;
}

export function startPrewarming(w: PrewarmWiring): { handle(o: PrewarmOutcome): void; close(): void; pending(): number } {
  const count = prewarmCounter(w.registry);
  const executor = new PrewarmExecutor({
    spec: (backend) => w.store.spec(backend),
    record: (o, result, detail) => {
      count(o.backend, o.model, result);
      w.log('prewarm_result', { backend: o.backend, model: o.model, result, detail });
    },
    settled: (backend) => w.probeNow(backend),
  });
  return {
    handle: (o) => {
      w.log('prewarm', { action: o.action, backend: o.backend, model: o.model, why: o.why, expectedLoadMs: o.expectedLoadMs });
      executor.handle(o);
    },
    close: () => executor.close(),
    pending: () => executor.pending(),
  };
}
