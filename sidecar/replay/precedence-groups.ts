// Groups of requests that every schedule must run one group after another,
// read off the trace's `after` dependencies (closed loops). Within one
// weakly connected part of the dependency graph, a request that is an
// ancestor or a descendant of every other request there (an agentic round's
// plan step, every step of a single alternating chain) is a *cut*: the cuts
// are totally ordered, and every other request of the part falls between two
// consecutive cuts. So the part splits into groups
//   [before cut 1], {cut 1}, [between cut 1 and 2], {cut 2}, …, [after the last]
// in which every request of a group precedes (transitively) every request of
// the next. A request starts only after its dependencies end, so in any
// schedule each group runs inside its own time span, the spans in this order
// and disjoint. The loads bound (load-bound.ts) relies on exactly that.
import { dependenciesOf, type Trace, type TraceRequest } from './trace.ts';

/** Parts larger than this are left out (the bitsets grow as size²); leaving a part out only weakens the bound. */
const MAX_PART = 4096;

function popcount(words: Uint32Array): number {
  let n = 0;
  for (let w of words) {
    w = w - ((w >>> 1) & 0x55555555);
    w = (w & 0x33333333) + ((w >>> 2) & 0x33333333);
    n += (((w + (w >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
  }
  return n;
}

function has(words: Uint32Array, i: number): boolean {
  return (words[i >>> 5]! & (1 << (i & 31))) !== 0;
}

function orInto(into: Uint32Array, from: Uint32Array): void {
  for (let w = 0; w < into.length; w++) into[w]! |= from[w]!;
}

/** Weakly connected parts of the dependency graph with two or more requests, each in an order where dependencies come first. */
function parts(trace: Trace): TraceRequest[][] {
  const at = new Map(trace.requests.map((r, i) => [r.id, i]));
  const parent = trace.requests.map((_, i) => i);
  const find = (i: number): number => {
    while (parent[i] !== i) i = parent[i] = parent[parent[i]!]!;
    return i;
  };
  for (const [i, r] of trace.requests.entries()) for (const d of dependenciesOf(r)) parent[find(i)] = find(at.get(d)!);
  // Dependencies first: depth = 1 + the deepest dependency (the trace is acyclic, parseTrace checks).
  const depth = new Map<string, number>();
  const depthOf = (r: TraceRequest): number => {
    const known = depth.get(r.id);
    if (known !== undefined) return known;
    const stack: TraceRequest[] = [r];
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      const pending = dependenciesOf(top).filter((d) => !depth.has(d));
      if (pending.length === 0) {
        depth.set(top.id, 1 + Math.max(0, ...dependenciesOf(top).map((d) => depth.get(d)!)));
        stack.pop();
      } else stack.push(...pending.map((d) => trace.requests[at.get(d)!]!));
    }
    return depth.get(r.id)!;
  };
  const byRoot = new Map<number, TraceRequest[]>();
  for (const [i, r] of trace.requests.entries()) {
    const root = find(i);
    const list = byRoot.get(root);
    if (list) list.push(r);
    else byRoot.set(root, [r]);
  }
  return [...byRoot.values()].filter((p) => p.length >= 2 && p.length <= MAX_PART).map((p) => p.sort((a, b) => depthOf(a) - depthOf(b)));
}

/** One part's groups, in the order every schedule runs them. */
function groupsOf(part: readonly TraceRequest[]): TraceRequest[][] {
  const n = part.length;
  const words = (n + 31) >>> 5;
  const at = new Map(part.map((r, i) => [r.id, i]));
  const ancestors = part.map(() => new Uint32Array(words));
  const descendants = part.map(() => new Uint32Array(words));
  for (const [i, r] of part.entries())
    for (const d of dependenciesOf(r)) {
      const j = at.get(d)!;
      orInto(ancestors[i]!, ancestors[j]!);
      ancestors[i]![j >>> 5]! |= 1 << (j & 31);
    }
  for (let i = n - 1; i >= 0; i--)
    for (const d of dependenciesOf(part[i]!)) {
      const j = at.get(d)!;
      orInto(descendants[j]!, descendants[i]!);
      descendants[j]![i >>> 5]! |= 1 << (i & 31);
    }
  // Cuts in dependency order (`part` is sorted so): comparable with all n − 1 others.
  const cuts = part.map((_, i) => i).filter((i) => popcount(ancestors[i]!) + popcount(descendants[i]!) === n - 1);
  const groups: TraceRequest[][] = Array.from({ length: 2 * cuts.length + 1 }, () => []);
  const cutRank = new Map(cuts.map((c, k) => [c, k]));
  for (let i = 0; i < n; i++) {
    const k = cutRank.get(i);
    // A cut is its own group; any other request sits after the cuts that are its ancestors (a prefix of them).
    const slot = k !== undefined ? 2 * k + 1 : 2 * cuts.filter((c) => has(ancestors[i]!, c)).length;
    groups[slot]!.push(part[i]!);
  }
  return groups.filter((g) => g.length > 0);
}

/** For each part of the trace with at least two groups, its groups in the order every schedule runs them. */
export function precedenceGroups(trace: Trace): TraceRequest[][][] {
  return parts(trace)
    .map(groupsOf)
    .filter((g) => g.length >= 2);
}
