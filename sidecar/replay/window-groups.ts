// Groups of requests that every schedule meeting a wait bound must serve in
// disjoint time spans, read off the trace's arrival times (open loops).
//
// If no request waits more than W ms (arrival → start of generation), a
// request arriving at t starts within [t, t + W], and its model is resident
// (loaded or loading, taking its place on a server) at that start. Take time
// intervals I_1 < I_2 < … that do not overlap and give group k the requests
// whose whole window [t, t + W] lies inside I_k: every model group k requests
// is resident at some instant of I_k. That is the property precedence groups
// (precedence-groups.ts) give closed loops, so the loads bound
// (load-bound.ts) walks these groups the same way. Which intervals are taken
// changes only how strong the bound is, never whether it holds: each way of
// cutting the timeline (windowGroupings) is one more part the bound may use.
import type { Trace } from './trace.ts';

/**
 * Interval layouts tried, as the span of arrivals each interval collects, in
 * multiples of W: an interval starts at the first arrival not yet covered,
 * collects the requests arriving within `span × W` of it, and ends W after the
 * last such arrival could (the next interval starts after that).
 */
const ARRIVAL_SPANS_IN_W = [0.05, 0.1, 0.25, 0.5, 1, 2, 4];

/**
 * Group layouts for a wait bound of `waitBoundMs`: for each layout, the models
 * of each interval's requests, in time order. Requests with dependencies
 * (closed loops) and models nobody serves are left out (leaving requests out
 * only weakens the bound).
 */
export function windowGroupings(trace: Trace, waitBoundMs: number, served: ReadonlySet<string>): string[][][] {
  const arrivals = trace.requests
    .filter((r) => r.at_ms !== undefined && served.has(r.model))
    .map((r) => ({ at: r.at_ms!, model: r.model }))
    .sort((a, b) => a.at - b.at);
  if (arrivals.length === 0 || !(waitBoundMs >= 0)) return [];
  // Intervals may start at any arrival, or only at arrivals of one model (a rare model's visits are what force
  // the others out and back, so intervals around them make the strongest groups).
  const anchors: Array<string | undefined> = [undefined, ...new Set(arrivals.map((a) => a.model))];
  const layouts: string[][][] = [];
  for (const anchor of anchors)
    for (const span of ARRIVAL_SPANS_IN_W) layouts.push(layout(arrivals, waitBoundMs, span * waitBoundMs, anchor));
  return layouts;
}

function layout(arrivals: ReadonlyArray<{ at: number; model: string }>, waitBoundMs: number, collectMs: number, anchor: string | undefined): string[][] {
  const groups: string[][] = [];
  let i = 0;
  for (;;) {
    while (i < arrivals.length && anchor !== undefined && arrivals[i]!.model !== anchor) i++;
    if (i >= arrivals.length) return groups;
    const start = arrivals[i]!.at;
    const models = new Set<string>();
    for (; i < arrivals.length && arrivals[i]!.at <= start + collectMs; i++) models.add(arrivals[i]!.model);
    groups.push([...models]);
    // The interval is [start, start + collectMs + W]: the next one starts strictly after it.
    const end = start + collectMs + waitBoundMs;
    while (i < arrivals.length && arrivals[i]!.at <= end) i++;
  }
}
