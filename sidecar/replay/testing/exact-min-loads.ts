// The true least number of model loads any schedule needs, by exhaustive
// search, for tiny traces and fleets (tests compare the loads bound with it).
// Timing is irrelevant to loads: any schedule, ordered by request start
// times, is a sequence of steps "load model m on server s (evicting any
// models there to fit)" and "run request r" (its dependencies have run and a
// server serving r's model holds it), and every such sequence is a schedule
// (wait as long as needed). So the minimum is a shortest path over states
// (requests run, models held per server) with a load costing 1 and a run 0.
import type { ServerModel } from '../fleet-model.ts';
import { dependenciesOf, type Trace } from '../trace.ts';

const MAX_REQUESTS = 10;

export function exactMinLoads(trace: Trace, fleet: readonly ServerModel[]): number {
  const reqs = trace.requests;
  if (reqs.length > MAX_REQUESTS) throw new Error(`exhaustive search is for at most ${MAX_REQUESTS} requests`);
  const models = [...new Set(fleet.flatMap((s) => [...s.models.keys()]))];
  const bit = new Map(models.map((m, i) => [m, 1 << i]));
  const at = new Map(reqs.map((r, i) => [r.id, i]));
  const deps = reqs.map((r) => dependenciesOf(r).reduce((mask, d) => mask | (1 << at.get(d)!), 0));
  const need = reqs.map((r) => bit.get(r.model) ?? 0); // 0: no server serves it, refused at once
  const serves = fleet.map((s) => [...s.models.keys()].reduce((mask, m) => mask | bit.get(m)!, 0));
  const start = fleet.map((s) => [...s.models.values()].filter((m) => m.warmAtStart).reduce((mask, m) => mask | bit.get(m.name)!, 0));
  const all = (1 << reqs.length) - 1;
  const key = (done: number, held: readonly number[]): string => `${done}:${held.join(',')}`;

  // 0-1 breadth-first search: runs go to the front of the deque, loads to the back.
  const seen = new Map<string, number>();
  const deque: { done: number; held: number[]; cost: number }[] = [{ done: 0, held: start, cost: 0 }];
  while (deque.length > 0) {
    const { done, held, cost } = deque.shift()!;
    const k = key(done, held);
    const before = seen.get(k);
    if (before !== undefined && before <= cost) continue;
    seen.set(k, cost);
    if (done === all) return cost;
    for (let r = 0; r < reqs.length; r++) {
      if (done & (1 << r) || (deps[r]! & done) !== deps[r]) continue;
      if (need[r] === 0 || held.some((h) => (h & need[r]!) !== 0)) deque.unshift({ done: done | (1 << r), held, cost });
    }
    // Loading a model no request left needs is never useful (the evictions it makes can wait for the next load).
    const wanted = reqs.reduce((mask, _, r) => (done & (1 << r) ? mask : mask | need[r]!), 0);
    fleet.forEach((s, i) => {
      for (const m of models) {
        const b = bit.get(m)!;
        if (!(serves[i]! & b) || held[i]! & b || !(wanted & b)) continue;
        // Keep any subset of what the server holds that leaves room for m.
        for (let keep = held[i]!; ; keep = (keep - 1) & held[i]!) {
          if (popcount(keep) < s.maxLoaded) deque.push({ done, held: held.map((h, j) => (j === i ? keep | b : h)), cost: cost + 1 });
          if (keep === 0) break;
        }
      }
    });
  }
  throw new Error('some request can never run');
}

function popcount(mask: number): number {
  let n = 0;
  for (let m = mask; m !== 0; m &= m - 1) n++;
  return n;
}
