// A lower bound on model loads that holds for every schedule that serves every
// request, including an oracle that knows the trace in advance and may reorder
// and delay requests freely within their dependencies. docs/traces.md gives
// the argument; in short:
//  - Split the requested models into classes. A load brings one model onto one
//    server, so the loads of different classes are different loads, and the
//    bound is the sum of the classes' bounds (the best split is taken).
//  - A class's models can sit only on the servers that serve them, at most
//    `capacity(class)` of them at once (per server: its model limit, or what
//    it held at the start if more, and no more than it serves of the class).
//  - Each model of the class that is cold everywhere at the start needs a load.
//  - And, for each closed-loop part of the trace, its precedence groups
//    (precedence-groups.ts) run one after another in disjoint time spans. Let
//    A be the class's models resident (anywhere) when a group's span begins,
//    S the class's models the group requests and B those resident when it
//    ends: every model of S ∪ B not in A is loaded within the span. The least
//    total over all sequences of resident sets of at most capacity(class)
//    models (a shortest path over those sets, from the models warm at the
//    start) bounds the class's loads.
//  - For schedules in which nobody waits past a bound, arrival times give
//    such groups too (window-groups.ts); the same walk counts them.
import type { ServerModel } from './fleet-model.ts';
import { precedenceGroups } from './precedence-groups.ts';
import { windowGroupings } from './window-groups.ts';
import type { Trace } from './trace.ts';

/** Beyond this many requested models only the count of cold models is used (classes are enumerated as bitmasks, 3^n splits). */
const MAX_MODELS_SPLIT = 8;

function popcount(mask: number): number {
  let n = 0;
  for (let m = mask; m !== 0; m &= m - 1) n++;
  return n;
}

/**
 * Loads within one group's span that starts with `start` resident, must have
 * every model of `need` resident at some instant and ends with `end`: every
 * model of need ∪ end not in start is loaded. And at the instant a needed
 * model x outside `start` is resident, at most capacity − 1 others are, so at
 * least |start ∩ end| − (capacity − 1) models of start ∩ end are absent then
 * and are loaded again before the span ends (they are resident at its end).
 */
function spanLoads(start: number, need: number, end: number, capacity: number): number {
  const newcomers = popcount((need | end) & ~start);
  const evicted = (need & ~start) === 0 ? 0 : Math.max(0, popcount(start & end) + 1 - capacity);
  return newcomers + evicted;
}

/** Least class-model loads over a part's groups (masks already restricted to the class), holding at most `capacity` of the class at once. */
function loadsThroughGroups(groups: readonly number[], cls: number, capacity: number, warm: number): number {
  const states: number[] = [];
  for (let s = cls; ; s = (s - 1) & cls) {
    if (popcount(s) <= capacity) states.push(s);
    if (s === 0) break;
  }
  let best = new Map<number, number>([[warm, 0]]);
  for (const need of groups) {
    const next = new Map<number, number>();
    for (const end of states) {
      let least = Infinity;
      for (const [start, cost] of best) least = Math.min(least, cost + spanLoads(start, need, end, capacity));
      next.set(end, least);
    }
    best = next;
  }
  return Math.min(...best.values());
}

export interface LoadsBound {
  /** The bound. */
  loads: number;
  /** Requested models cold on every backend able to serve them: each needs one load (the bound before closed loops and capacity were counted). */
  coldModels: number;
}

/**
 * With `waitBoundMs`, the bound for schedules in which no request waits longer
 * than that (arrival → start of generation): the trace's arrival times then
 * add groups too (window-groups.ts), so models asked for in turn within the
 * bound count even where an oracle free to delay without limit would batch them.
 */
export function loadsLowerBound(trace: Trace, fleet: readonly ServerModel[], waitBoundMs?: number): LoadsBound {
  const served = new Set(fleet.flatMap((s) => [...s.models.keys()]));
  const models = [...new Set(trace.requests.map((r) => r.model).filter((m) => served.has(m)))];
  const warmSomewhere = (m: string): boolean => fleet.some((s) => s.models.get(m)?.warmAtStart === true);
  const coldModels = models.filter((m) => !warmSomewhere(m)).length;
  if (models.length > MAX_MODELS_SPLIT) return { loads: coldModels, coldModels };

  const bit = new Map(models.map((m, i) => [m, 1 << i]));
  const maskOf = (names: Iterable<string>): number => {
    let mask = 0;
    for (const n of names) mask |= bit.get(n) ?? 0;
    return mask;
  };
  const warm = maskOf(models.filter(warmSomewhere));
  const servers = fleet.map((s) => {
    const heldAtStart = [...s.models.values()].filter((m) => m.warmAtStart).length;
    return { serves: maskOf(s.models.keys()), holds: Math.max(s.maxLoaded, heldAtStart) };
  });
  const capacity = (cls: number): number => servers.reduce((sum, s) => sum + Math.min(s.holds, popcount(s.serves & cls)), 0);
  const parts = [
    ...precedenceGroups(trace).map((groups) => groups.map((g) => maskOf(g.map((r) => r.model)))),
    ...(waitBoundMs === undefined ? [] : windowGroupings(trace, waitBoundMs, served).map((groups) => groups.map(maskOf))),
  ];

  const classBound = new Map<number, number>();
  const boundOf = (cls: number): number => {
    let b = classBound.get(cls);
    if (b !== undefined) return b;
    b = popcount(cls & ~warm);
    const k = capacity(cls);
    if (k < popcount(cls))
      for (const part of parts) {
        const groups = part.map((g) => g & cls).filter((g) => g !== 0);
        if (groups.length >= 2) b = Math.max(b, loadsThroughGroups(groups, cls, k, warm & cls));
      }
    classBound.set(cls, b);
    return b;
  };
  // Best split of the models into classes: the class holding the lowest model, plus the best split of the rest.
  const split = new Map<number, number>([[0, 0]]);
  const bestSplit = (rest: number): number => {
    const known = split.get(rest);
    if (known !== undefined) return known;
    const low = rest & -rest;
    let best = 0;
    for (let others = rest & ~low; ; others = (others - 1) & (rest & ~low)) {
      const cls = low | others;
      best = Math.max(best, boundOf(cls) + bestSplit(rest & ~cls));
      if (others === 0) break;
    }
    split.set(rest, best);
    return best;
  };
  return { loads: bestSplit((1 << models.length) - 1), coldModels };
}
