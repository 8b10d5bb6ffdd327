// The admin API's GET /status body: what the sidecar knows right now, read
// from memory (datastore, scheduler, request control, the fleet event ring).
// No I/O. Session keys leave only as hashes (sessionTag).
import type { Datastore } from '../backends/datastore.ts';
import type { RequestControl } from '../control/request-control.ts';
import type { Clock } from '../control/clock.ts';
import type { BackendView, SchedulerCore } from '../scheduler/types.ts';
import type { Policy } from '../policy/schema.ts';
import type { FleetEvents } from './events.ts';
import { sessionTag } from '../log.ts';
import { meanLoadAt } from '../scheduler/mean-load.ts';

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
  events: FleetEvents;
}

/** Decisions the status carries (the scheduler keeps its own bounded ring). */
const DECISIONS_SHOWN = 50;
/** Queue entries the status carries (the head, in dispatch order; `queued` counts them all): bounds the document and its cost. */
export const QUEUE_SHOWN = 1000;

export function statusJson(s: StatusSources): Record<string, unknown> {
  const { now, body } = statusSnapshot(s);
  return { now, ...body };
}

/** The status with its sampling time apart (the live feed re-sends only when the rest changed). */
export function statusSnapshot(s: StatusSources): { now: number; body: Record<string, unknown> } {
  const policy = s.policy();
  const now = s.clock.now();
  const body = {
    strategy: policy.scheduler.strategy,
    reloads: s.reloads,
    queued: s.control.queued(),
    running: s.control.running(),
    inFlight: s.store.totalInFlight(),
    releaseUnderflows: s.store.releaseUnderflows,
    backends: s.store.views().map((v) => backendJson(v, s, now)),
    models: s.store.modelCatalog(),
    queue: s.scheduler
      .queueSnapshot(now)
      .slice(0, QUEUE_SHOWN)
      .map((q) => ({ ...q, sessionKey: hashed(q.sessionKey) })),
    decisions: s.scheduler
      .recentDecisions()
      .slice(-DECISIONS_SHOWN)
      .map((d) => ({ ...d, sessionKey: hashed(d.sessionKey) })),
    events: s.events.since(),
  };
  return { now, body };
}

const hashed = (key: string | undefined): string | undefined => (key === undefined ? undefined : sessionTag(key));

function backendJson(v: BackendView, s: StatusSources, now: number): Record<string, unknown> {
  const spec = s.store.spec(v.name);
  const st = s.store.status(v.name);
  return {
    name: v.name,
    kind: spec?.kind,
    url: spec?.url,
    healthy: v.healthy,
    failure: st?.failure,
    lastProbeAt: st?.lastProbeAt,
    probe: s.events.probe(v.name),
    slots: v.slots,
    maxModels: Number.isFinite(v.maxModels) ? v.maxModels : null,
    inFlight: v.inFlight,
    externalInFlight: v.externalInFlight,
    // What session affinity's bounded loads compares (scheduler/mean-load.ts).
    meanLoad: Math.round(meanLoadAt(v.meanLoad, now) * 100) / 100,
    loading: v.loading,
    sleeping: v.sleeping,
    models: Object.fromEntries([...v.models].map(([k, m]) => [k, m.state])),
    modelInfo: Object.fromEntries(
      [...v.models].map(([k, m]) => [k, { state: m.state, backendId: m.backendId, loadMs: m.loadMs, lastUsedAt: m.lastUsedAt, loadStartedAt: m.loadStartedAt, inFlight: v.inFlightByModel.get(k) ?? 0 }]),
    ),
  };
}
