// Starts background probing of every backend and feeds the datastore. Each
// transition is logged once; any change wakes the scheduler (queued requests
// may fit now).
import type { Datastore } from './datastore.ts';
import type { Policy } from '../policy/schema.ts';
import type { Clock } from '../control/clock.ts';
import type { Logger } from '../log.ts';
import { Prober } from './prober.ts';

export interface ProbingHandle {
  prober: Prober;
  stop(): void;
}

export function startProbing(store: Datastore, _policy: Policy, clock: Clock, log: Logger, changed: () => void): ProbingHandle {
  const prober = new Prober(store, {
    clock: { now: () => clock.now(), setTimeout: (fn, ms) => clock.setTimeout(fn, ms), clearTimeout: (h) => clock.clearTimeout(h) },
    onTransition: (t) => {
      log('backend_transition', { ...t });
    },
    onProbe: () => changed(),
  });
  prober.start();
  return { prober, stop: () => prober.stop() };
}
