// Build a real dispatch cycle over a real datastore for plugin tests, with
// the engine's state (running requests, holds, sessions) supplied directly.
import type { Datastore } from '../../backends/datastore.ts';
import type { Policy } from '../../policy/schema.ts';
import { ServiceTimes } from '../cost.ts';
import { DispatchCycle, type QueuedGroup, type RunningRequest } from '../cycle.ts';
import { DemandTracker } from '../demand.ts';
import type { Hold, Placement, QueueEntry } from '../framework.ts';
import { SessionTable } from '../sessions.ts';
import { settingsFrom } from '../settings.ts';
import type { RequestInfo } from '../types.ts';
import { mayRunOn } from '../plugins/pinned.ts';
import { groupKeyOf } from '../queue-index.ts';

export interface CycleState {
  queued?: QueueEntry[];
  running?: RunningRequest[];
  previousHolds?: Hold[];
  sessions?: Record<string, string>;
  /** Turns dispatched, in order, after `sessions` (session key, backend): a busy conversation's repeated turns. */
  turns?: Array<[string, string]>;
  loadStarts?: Record<string, number>;
  services?: ServiceTimes;
  demand?: DemandTracker;
  random?: () => number;
}

export function cycleFor(policy: Policy, store: Datastore, now: number, state: CycleState = {}): DispatchCycle {
  const settings = settingsFrom(policy);
  const sessions = new SessionTable(settings.sessionMaxEntries, settings.sessionTtlMs);
  for (const [k, v] of Object.entries(state.sessions ?? {})) sessions.set(k, v, now);
  for (const [k, v] of state.turns ?? []) sessions.set(k, v, now);
  return new DispatchCycle({
    now,
    settings,
    store,
    queuedFor: (model, backend) => (state.queued ?? []).filter((e) => e.req.model === model && mayRunOn(e.req, backend)).length,
    running: new Map((state.running ?? []).map((r) => [r.id, r])),
    services: state.services ?? new ServiceTimes(),
    demand: state.demand ?? new DemandTracker(),
    queuedGroups: () => groupsOf(state.queued ?? []),
    sessions,
    loadStarts: new Map(Object.entries(state.loadStarts ?? {})),
    previousHolds: new Map((state.previousHolds ?? []).map((h) => [h.backend, h])),
    random: state.random ?? (() => 0),
    turns: new Map(),
  });
}

function groupsOf(queued: readonly QueueEntry[]): QueuedGroup[] {
  const groups = new Map<string, QueueEntry[]>();
  for (const e of [...queued].sort((a, b) => a.enqueuedAt - b.enqueuedAt || a.seq - b.seq)) {
    const key = groupKeyOf(e.req);
    groups.set(key, [...(groups.get(key) ?? []), e]);
  }
  return [...groups.values()].map((es) => ({ model: es[0]!.req.model, pinnedBackend: es[0]!.req.pinnedBackend, allowedBackends: es[0]!.req.allowedBackends, entries: () => es }));
}

export function entry(req: RequestInfo, enqueuedAt = 0, seq = 0): QueueEntry {
  return { req, enqueuedAt, seq };
}

export function placementOf(req: RequestInfo, fields: Partial<Omit<Placement, 'entry' | 'model'>> = {}): Placement {
  return {
    entry: entry(req),
    model: req.model,
    modelPriority: 0,
    priority: 0,
    rank: 0,
    starving: false,
    diversity: false,
    waivesStickyWindows: false,
    ...fields,
  };
}
