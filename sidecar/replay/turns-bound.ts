// A makespan bound for closed loops on boxes that hold one model at a time
// (llama-swap's default, a llama-server per box): the models a precedence
// group needs must take turns on the boxes, and a box spends a load's time
// on every model it brings in. The critical path (lower-bound.ts) lets every
// model be warm at once; on trace `agentic` (three models, two one-model
// boxes) that is 3.4 s a round where taking turns needs about 4.6.
//
// The argument (docs/traces.md, "Taking turns"), for one part of the trace
// and its precedence groups (precedence-groups.ts), which run one after
// another: let T_k be the end of group k's last request. Group k's span is
// [T_{k−1}, T_k]; the spans are disjoint and their lengths add up to at most
// the makespan. In one span, on one-model boxes:
//  - A box is, at each instant, resident with or loading at most one model.
//    Count a model's *box time* on a box: while resident there, or loading
//    there a load that completes. The box times on one box add up to at most
//    the span.
//  - Model m's requests in the group form chains (direct `after` edges between
//    m's requests). Along its longest chain, m is resident during each
//    request's service; across each gap between two steps it is either
//    present throughout (box time ≥ the gap) or absent at some instant, and
//    then loaded again before the next step (box time ≥ its load time). So
//    m's box time, summed over boxes, is at least the chain's service plus
//    min(gap, load) per gap, plus one load before the chain when m is present
//    on no box at T_{k−1}.
//  - On each box where m is resident at some instant but was not at T_{k−1},
//    it was loaded within the span: that box's time for m is at least the load.
// Whatever boxes each model uses, that is a supply-demand problem: by Hall's
// condition the span is at least, for every set Q of models, (their demand
// beyond the loads counted per box + the boxes' load time) / (the boxes Q
// uses). The bound is the least such span over every choice of boxes per
// model and of what each box held at T_{k−1} (for the first group, what it
// held at the start). Groups whose models some multi-model server also serves
// are left out (their term is 0), as are groups too large to enumerate.
import { requestServiceMs, type ServerModel } from './fleet-model.ts';
import { precedenceGroups } from './precedence-groups.ts';
import { dependenciesOf, type Trace, type TraceRequest } from './trace.ts';

/** Assignments × box choices enumerated per group at most; larger groups get no term (only weakens the bound). */
const MAX_ENUMERATION = 50_000;

/** The bound: the longest part's sum of group spans (0 when no part has two groups). */
export function turnsMakespanBoundMs(trace: Trace, fleet: readonly ServerModel[]): number {
  let best = 0;
  for (const groups of precedenceGroups(trace)) {
    let total = 0;
    for (const [k, g] of groups.entries()) total += groupSpanMs(g, fleet, k === 0 ? undefined : groups[k - 1]);
    best = Math.max(best, total);
  }
  return best;
}

/**
 * Sinks of a group: its requests no other request of it depends on. The one
 * that ends last (at T_k) is among them, so a request that depends on all of
 * them starts at least its gap after T_k.
 */
function sinksOf(group: readonly TraceRequest[]): Set<string> {
  const sinks = new Set(group.map((r) => r.id));
  for (const r of group) for (const d of dependenciesOf(r)) sinks.delete(d);
  return sinks;
}

/**
 * Least length of one group's span: its own critical path, and the turns its
 * models must take on one-model boxes. `previous`: the group before it in the
 * same part (none for the first, whose span starts at time 0).
 */
export function groupSpanMs(group: readonly TraceRequest[], fleet: readonly ServerModel[], previous?: readonly TraceRequest[]): number {
  const first = previous === undefined;
  const previousSinks = previous ? sinksOf(previous) : new Set<string>();
  const servers = (model: string) => fleet.filter((s) => s.models.has(model));
  const servable = group.filter((r) => servers(r.model).length > 0);
  const serviceOf = new Map(servable.map((r) => [r.id, Math.min(...servers(r.model).map((s) => requestServiceMs(s, r)))]));
  const inGroup = new Map(servable.map((r) => [r.id, r]));

  // The critical path inside the group (requests come in dependency order; outside dependencies ended by T_{k−1}).
  const end = new Map<string, number>();
  let critical = 0;
  for (const r of servable) {
    const deps = dependenciesOf(r);
    let ready = first ? r.at_ms ?? 0 : 0;
    if (previousSinks.size > 0 && [...previousSinks].every((d) => deps.includes(d))) ready = r.gap_ms ?? 0;
    for (const d of deps) if (end.has(d)) ready = Math.max(ready, end.get(d)! + (r.gap_ms ?? 0));
    end.set(r.id, ready + serviceOf.get(r.id)!);
    critical = Math.max(critical, end.get(r.id)!);
  }

  const models = [...new Set(servable.map((r) => r.model))];
  const boxes = fleet.filter((s) => models.some((m) => s.models.has(m)));
  if (models.length === 0 || boxes.some((b) => b.maxLoaded !== 1 || [...b.models.values()].filter((m) => m.warmAtStart).length > 1)) return critical;

  // Per model: its fastest load, and its longest chain (service + min(gap, load) per step after the first).
  const fastestLoad = models.map((m) => Math.min(...servers(m).map((s) => s.models.get(m)!.loadMs)));
  const chain = models.map((m, i) => {
    const along = new Map<string, number>();
    let longest = 0;
    for (const r of servable) {
      if (r.model !== m) continue;
      let before = 0;
      for (const d of dependenciesOf(r)) {
        const dep = inGroup.get(d);
        if (dep?.model === m) before = Math.max(before, along.get(d)! + Math.min(r.gap_ms ?? 0, fastestLoad[i]!));
      }
      along.set(r.id, before + serviceOf.get(r.id)!);
      longest = Math.max(longest, along.get(r.id)!);
    }
    return longest;
  });
  // loadOn[i][b]: model i's load on box b (undefined where b does not serve it).
  const loadOn = models.map((m) => boxes.map((b) => b.models.get(m)?.loadMs));
  const usable = models.map((_, i) => boxes.map((_, b) => loadOn[i]![b] !== undefined));

  // What each box held at T_{k−1}: one of the group's models it serves, or none of them (−1).
  const heldChoices = boxes.map((b) => {
    if (first) {
      const warm = models.findIndex((m) => b.models.get(m)?.warmAtStart === true);
      return [warm];
    }
    return [-1, ...models.map((_, i) => i).filter((i) => b.models.has(models[i]!))];
  });
  const boxSets = models.map((_, i) => subsetsOf(usable[i]!));
  const assignments = heldChoices.reduce((n, c) => n * c.length, 1);
  const choices = boxSets.reduce((n, s) => n * s.length, 1);
  if (assignments * choices > MAX_ENUMERATION) return critical;

  let best = Infinity;
  for (const held of product(heldChoices)) {
    for (const sets of product(boxSets)) {
      best = Math.min(best, turnsSpan(held, sets, chain, fastestLoad, loadOn, boxes.length));
      if (best <= critical) return critical;
    }
  }
  return Math.max(critical, best);
}

/**
 * Least span for one choice: `held[b]` is the model box b held at T_{k−1}
 * (−1: none of them), `sets[i]` the boxes model i uses (a bitmask).
 */
function turnsSpan(held: readonly number[], sets: readonly number[], chain: readonly number[], fastestLoad: readonly number[], loadOn: readonly (readonly (number | undefined)[])[], nBoxes: number): number {
  const fixed = new Array<number>(nBoxes).fill(0);
  const rest = chain.map((c, i) => {
    const present = held.includes(i);
    let demand = c + (present ? 0 : fastestLoad[i]!);
    for (let b = 0; b < nBoxes; b++) {
      if ((sets[i]! & (1 << b)) === 0 || held[b] === i) continue;
      fixed[b]! += loadOn[i]![b]!;
      demand -= loadOn[i]![b]!;
    }
    return Math.max(0, demand);
  });
  let span = Math.max(...fixed);
  // Hall's condition for every set of models: their remaining demand fits in the time their boxes have left.
  for (let q = 1; q < 1 << chain.length; q++) {
    let demand = 0;
    let used = 0;
    for (let i = 0; i < chain.length; i++) if (q & (1 << i)) [demand, used] = [demand + rest[i]!, used | sets[i]!];
    let boxTime = 0;
    let n = 0;
    for (let b = 0; b < nBoxes; b++) if (used & (1 << b)) [boxTime, n] = [boxTime + fixed[b]!, n + 1];
    span = Math.max(span, (demand + boxTime) / n);
  }
  return span;
}

/** Nonempty subsets (bitmasks) of the boxes flagged usable. */
function subsetsOf(usable: readonly boolean[]): number[] {
  const all = usable.reduce((mask, ok, b) => (ok ? mask | (1 << b) : mask), 0);
  const out: number[] = [];
  for (let s = all; s > 0; s = (s - 1) & all) out.push(s);
  return out;
}

/** Every combination taking one element of each list. */
function* product<T>(lists: readonly (readonly T[])[]): Generator<T[]> {
  const idx = lists.map(() => 0);
  if (lists.some((l) => l.length === 0)) return;
  for (;;) {
    yield idx.map((k, i) => lists[i]![k]!);
    let i = lists.length - 1;
    while (i >= 0 && ++idx[i]! === lists[i]!.length) idx[i--] = 0;
    if (i < 0) return;
  }
}
