// What an oracle that knows the whole trace in advance could at best reach on
// this fleet, as bounds every real schedule that serves every request is at
// or above (docs/traces.md explains the reasoning):
//  - loads: load-bound.ts (cold models, and what closed loops force through
//    the fleet's model capacity);
//  - makespan ≥ the critical path through the `after` dependencies, where a
//    request starts no earlier than its arrival (or its dependencies' ends
//    plus the gap) and no earlier than its model's fastest load, counted once
//    from time 0 (an oracle pre-loads), then takes its fastest service time;
//  - makespan ≥ total service time / total slots of the fleet;
//  - makespan ≥ the turns closed loops force on one-model boxes (turns-bound.ts).
import { requestServiceMs, type ServerModel } from './fleet-model.ts';
import { loadsLowerBound } from './load-bound.ts';
import { turnsMakespanBoundMs } from './turns-bound.ts';
import { dependenciesOf, dependencyIndex, release, type Trace, type TraceRequest } from './trace.ts';

export interface LowerBound {
  loads: number;
  /** Requested models cold everywhere at the start (the loads bound counts at least these). */
  coldModels: number;
  makespanMs: number;
  /** The makespan bounds it is the maximum of. */
  criticalPathMs: number;
  workMs: number;
  /** Closed loops on one-model boxes: the groups' spans with the turns their models take (0 where it does not apply). */
  turnsMs: number;
  /** Requests no backend serves (they can only be refused; excluded above). */
  unservable: number;
  /** The loads bound for schedules in which no request waits longer than `waitBoundMs` (when asked for). */
  withinWait?: { waitBoundMs: number; loads: number };
}

interface ModelFacts {
  /** 0 when warm somewhere at start. */
  loadMs: number;
  servers: ServerModel[];
}

function modelFacts(fleet: readonly ServerModel[]): Map<string, ModelFacts> {
  const out = new Map<string, ModelFacts>();
  for (const s of fleet)
    for (const m of s.models.values()) {
      const f = out.get(m.name) ?? { loadMs: Infinity, servers: [] };
      f.loadMs = Math.min(f.loadMs, m.warmAtStart ? 0 : m.loadMs);
      f.servers.push(s);
      out.set(m.name, f);
    }
  return out;
}

/** Total parallel requests the fleet runs at once. */
function totalSlots(fleet: readonly ServerModel[]): number {
  return fleet.reduce((sum, s) => sum + (s.slotScope === 'server' ? s.slots : s.slots * Math.min(s.maxLoaded, s.models.size)), 0);
}

/** Requests in an order where every request comes after all it depends on. */
function topological(trace: Trace): TraceRequest[] {
  const index = dependencyIndex(trace.requests);
  const order = trace.requests.filter((r) => index.waitingOn.get(r.id) === 0);
  for (let i = 0; i < order.length; i++) order.push(...release(index, order[i]!.id));
  return order;
}

/**
 * The wait bound the loads are also bounded for by default: the policy's
 * aging bound (how long the sidecar lets a request wait in its queue) plus
 * the longest load in the fleet (what it may then wait for its model).
 */
export function defaultWaitBoundMs(agingMs: number, fleet: readonly ServerModel[]): number {
  const loads = fleet.flatMap((s) => [...s.models.values()].map((m) => m.loadMs));
  return agingMs + (loads.length > 0 ? Math.max(...loads) : 0);
}

/** `waitBoundMs`: also bound the loads of schedules in which no request waits longer than that. */
export function lowerBound(trace: Trace, fleet: readonly ServerModel[], waitBoundMs?: number): LowerBound {
  const facts = modelFacts(fleet);
  const earliestEnd = new Map<string, number>();
  let unservable = 0;
  let work = 0;
  let critical = 0;
  for (const r of topological(trace)) {
    const ready = r.at_ms ?? Math.max(...dependenciesOf(r).map((d) => earliestEnd.get(d)!)) + (r.gap_ms ?? 0);
    const f = facts.get(r.model);
    if (!f) {
      // Refused at once: its dependents may start right away.
      unservable++;
      earliestEnd.set(r.id, ready);
      continue;
    }
    const service = Math.min(...f.servers.map((s) => requestServiceMs(s, r)));
    work += service;
    const end = Math.max(ready, f.loadMs) + service;
    earliestEnd.set(r.id, end);
    critical = Math.max(critical, end);
  }
  const workMs = work / Math.max(1, totalSlots(fleet));
  const turnsMs = turnsMakespanBoundMs(trace, fleet);
  const loads = loadsLowerBound(trace, fleet);
  const withinWait = waitBoundMs === undefined ? undefined : { waitBoundMs, loads: loadsLowerBound(trace, fleet, waitBoundMs).loads };
  return {
    loads: loads.loads,
    coldModels: loads.coldModels,
    makespanMs: Math.round(Math.max(critical, workMs, turnsMs)),
    criticalPathMs: Math.round(critical),
    workMs: Math.round(workMs),
    turnsMs: Math.round(turnsMs),
    unservable,
    ...(withinWait ? { withinWait } : {}),
  };
}
