// The admin API's GET /status body: what the sidecar knows right now, read
// from memory (datastore, scheduler, request control). No I/O.
import type { Datastore } from '../backends/datastore.ts';
import type { RequestControl } from '../control/request-control.ts';
import type { Clock } from '../control/clock.ts';
import type { SchedulerCore } from '../scheduler/types.ts';
import type { Policy } from '../policy/schema.ts';

export interface ReloadCounts {
  ok: number;
  rejected: number;
  last: undefined | { at: string; ok: boolean; error?: string };
}

export interface StatusSources {
  policy(): Policy;
  store: Datastore;
  scheduler: SchedulerCore;
  control: RequestControl;
  clock: Clock;
  reloads: ReloadCounts;
}

export function statusJson(s: StatusSources): Record<string, unknown> {
  return {
    strategy: s.policy().scheduler.strategy,
    reloads: s.reloads,
    queued: s.control.queued(),
    running: s.control.running(),
    inFlight: s.store.totalInFlight(),
    releaseUnderflows: s.store.releaseUnderflows,
    backends: s.store.views().map(viewJson),
    models: s.store.modelCatalog(),
    queue: s.scheduler.queueSnapshot(s.clock.now()),
    decisions: s.scheduler.recentDecisions().slice(-50),
  };
}

function viewJson(v: ReturnType<Datastore['views']>[number]): Record<string, unknown> {
  return {
    name: v.name,
    healthy: v.healthy,
    slots: v.slots,
    maxModels: Number.isFinite(v.maxModels) ? v.maxModels : null,
    inFlight: v.inFlight,
    externalInFlight: v.externalInFlight,
    models: Object.fromEntries([...v.models].map(([k, m]) => [k, m.state])),
  };
}
