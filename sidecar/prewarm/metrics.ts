// warmroute_prewarms_total{backend,model,result}: one count per pre-warm the
// scheduler started, by how it ended. Labels are bounded by the policy's
// backends and models.
import { Counter, type Registry } from 'prom-client';
import type { PrewarmResult } from './executor.ts';

export function prewarmCounter(registry: Registry): (backend: string, model: string, result: PrewarmResult) => void {
  const counter = new Counter({
    name: 'warmroute_prewarms_total',
    help: 'Model loads started ahead of requests (pre-warm, hedged cold start), by backend, model and result (ok, failed, cancelled, unsupported).',
    labelNames: ['backend', 'model', 'result'],
    registers: [registry],
  });
  return (backend, model, result) => counter.inc({ backend, model, result });
}
