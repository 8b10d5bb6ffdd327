// The vertical slice's choice: among healthy backends that list the model,
// the one with the fewest requests in flight. No queue: when nothing is
// healthy the request is refused at once. The warm-first framework replaces
// this behind the same Scheduler interface.
import type { Datastore } from '../backends/datastore.ts';
import type { CompletionInfo, RequestInfo, Scheduler, SchedulerOutcome } from './types.ts';

export class LeastInFlightScheduler implements Scheduler {
  private readonly running = new Map<string, { backend: string; model: string }>();

  constructor(private readonly store: Datastore) {}

  submit(req: RequestInfo, now: number): SchedulerOutcome[] {
    if (!this.store.isKnownModel(req.model))
      return [{ type: 'reject', id: req.id, status: 404, code: 'model_not_found', message: `The model '${req.model}' is not served by any backend.` }];
    const candidates = new Set(this.store.candidatesFor(req.model));
    let best: { name: string; inFlight: number; backendId: string } | undefined;
    for (const v of this.store.views()) {
      if (!candidates.has(v.name) || !v.healthy) continue;
      if (req.pinnedBackend && v.name !== req.pinnedBackend) continue;
      if (!best || v.inFlight < best.inFlight)
        best = { name: v.name, inFlight: v.inFlight, backendId: v.models.get(req.model)?.backendId ?? req.model };
    }
    if (!best)
      return [{ type: 'reject', id: req.id, status: 503, code: 'no_healthy_backend', message: `No healthy backend can serve '${req.model}' right now.`, retryAfterS: 5 }];
    this.store.acquire(best.name, req.model, now);
    this.running.set(req.id, { backend: best.name, model: req.model });
    return [{ type: 'dispatch', id: req.id, record: { requestId: req.id, model: req.model, backend: best.name, backendModelId: best.backendId, reason: 'baseline', queuedMs: 0, sessionKey: req.sessionKey, at: now } }];
  }

  cancel(id: string, now: number): SchedulerOutcome[] {
    return this.complete(id, now, { ok: false, durationMs: 0 });
  }

  complete(id: string, now: number, _info: CompletionInfo): SchedulerOutcome[] {
    const r = this.running.get(id);
    if (!r) return [];
    this.running.delete(id);
    this.store.release(r.backend, r.model, now);
    return [];
  }

  tick(_now: number): SchedulerOutcome[] {
    return [];
  }

  nextWakeAt(): number | undefined {
    return undefined;
  }

  queueLength(): number {
    return 0;
  }

  inFlight(): number {
    return this.running.size;
  }
}
