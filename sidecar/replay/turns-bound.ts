// A makespan bound for closed loops on boxes that hold one model at a time
// (llama-swap's default, a llama-server per box): the models a precedence
// group needs must take turns on the boxes, and a box spends a load's time
// on every model it brings in. The critical path (lower-bound.ts) lets every
// model be warm at once: on trace `agentic` with the real boxes' figures
// (three models, two one-model boxes, 2.25 s loads) it gives a round the
// 3.3 s of its polls; a round's span is in fact at least about 4 s.
//
// The argument (docs/traces.md, "Taking turns"), for one part of the trace
// and its precedence groups (precedence-groups.ts), which run one after
// another: let T_k be the end of group k's last request. Group k's span is
// [T_{k−1}, T_k]; the spans are disjoint and their lengths add up to at most
// the makespan. In one span, on one-model boxes:
//  - A box is, at each instant, resident with one model, loading one, or
//    neither. Its resident times and load times add up to at most the span.
//  - Take one chain of model m's requests in the group (direct `after` edges
//    between m's requests). During each step's service m is resident
//    somewhere. Across each gap, either m is resident throughout (resident
//    time ≥ the gap), or the residence that serves the next step began inside
//    the gap: a load of m ends in that gap. Those loads end in disjoint gaps,
//    so they are distinct; one more ends before the first step when m was
//    neither resident nor loading anywhere at T_{k−1}. A load under way at
//    T_{k−1} on a box that held m then may end in a gap without costing the
//    span a whole load; the box the chain's first step runs on is not one of
//    those, so at most one per other box that held m is forgiven.
//  - Each box where m is resident at some instant but that did not hold m at
//    T_{k−1} loaded it within the span. If the chain's first step runs on such
//    a box, the span holds that load and then the chain's steps and gaps.
// So for a choice of the boxes each model uses and of what each box held at
// T_{k−1}, m needs resident time (service + the gaps it stays through) and
// loads (per gap not stayed through, per new box, at least), each load its
// load time of box time; the first load on each new box sits on that box.
// By Hall's condition the span is at least, for every set Q of models,
// (Q's demand beyond those per-box loads + the boxes' loads) / (the boxes Q
// uses). The bound is the least such span over every choice of boxes per
// model, of what each box held (for the first group, what it held at the
// start) and of which gaps each model stays through, and at least the
// group's own critical path. Groups whose models a multi-model server also
// serves are left out (their term is their critical path), as are groups too
// large to enumerate.
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

  // Per model: its fastest load, and one chain of its requests (the longest by service + min(gap, load) per gap):
  // that chain's service time and its gaps, largest first.
  const fastestLoad = models.map((m) => Math.min(...servers(m).map((s) => s.models.get(m)!.loadMs)));
  const chains = models.map((m, i) => {
    const along = new Map<string, { weight: number; service: number; gaps: number[] }>();
    let longest = { weight: 0, service: 0, gaps: [] as number[] };
    for (const r of servable) {
      if (r.model !== m) continue;
      let before = { weight: 0, service: 0, gaps: [] as number[] };
      for (const d of dependenciesOf(r)) {
        const dep = inGroup.get(d);
        if (dep?.model !== m) continue;
        const prior = along.get(d)!;
        const gap = r.gap_ms ?? 0;
        const weight = prior.weight + Math.min(gap, fastestLoad[i]!);
        if (weight >= before.weight) before = { weight, service: prior.service, gaps: [...prior.gaps, gap] };
      }
      const service = serviceOf.get(r.id)!;
      const here = { weight: before.weight + service, service: before.service + service, gaps: before.gaps };
      along.set(r.id, here);
      if (here.weight > longest.weight) longest = here;
    }
    return { service: longest.service, gaps: [...longest.gaps].sort((a, b) => b - a) };
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
      best = Math.min(best, turnsSpan(held, sets, chains, fastestLoad, loadOn, boxes.length));
      if (best <= critical) return critical;
    }
  }
  return Math.max(critical, best);
}

interface Chain {
  /** Service time of its steps. */
  readonly service: number;
  /** Gaps between its steps, largest first. */
  readonly gaps: readonly number[];
}

/** How a model's chain begins: on a box that held the model at T_{k−1}, or on a box it is loaded onto first. */
type Start = 'held' | 'new';

/**
 * Least span for one choice: `held[b]` is the model box b held at T_{k−1}
 * (−1: none of them), `sets[i]` the boxes model i uses (a bitmask). Each
 * model's chain starts on a box that held it, or on one it is loaded onto
 * (then the span is at least that load plus the chain's own length); both are
 * tried.
 */
function turnsSpan(held: readonly number[], sets: readonly number[], chains: readonly Chain[], fastestLoad: readonly number[], loadOn: readonly (readonly (number | undefined)[])[], nBoxes: number): number {
  const fixed = new Array<number>(nBoxes).fill(0);
  const facts = chains.map((_, i) => {
    let heldUsed = 0;
    let newBoxes = 0;
    let firstLoad = Infinity;
    for (let b = 0; b < nBoxes; b++) {
      if ((sets[i]! & (1 << b)) === 0) continue;
      if (held[b] === i) heldUsed++;
      else {
        newBoxes++;
        fixed[b]! += loadOn[i]![b]!;
        firstLoad = Math.min(firstLoad, loadOn[i]![b]!);
      }
    }
    return { heldUsed, newBoxes, firstLoad, absent: held.includes(i) ? 0 : 1 };
  });
  const starts = facts.map((f): Start[] => (f.heldUsed === 0 ? ['new'] : f.newBoxes === 0 ? ['held'] : ['held', 'new']));
  let best = Infinity;
  for (const chosen of product(starts)) {
    let span = Math.max(...fixed);
    const rest = chains.map((chain, i) => {
      const f = facts[i]!;
      // Starting on a new box: that box's load, then the chain's steps and gaps, all inside the span.
      if (chosen[i] === 'new') span = Math.max(span, f.firstLoad + chain.service + chain.gaps.reduce((sum, g) => sum + g, 0));
      // A load under way at T_{k−1} on a box that held the model may end in a gap; the box the chain starts on is not one of them.
      const underWay = chosen[i] === 'new' ? f.heldUsed : f.heldUsed - 1;
      return flexibleDemand(chain, fastestLoad[i]!, f.absent, underWay, f.newBoxes);
    });
    // Hall's condition for every set of models: their remaining demand fits in the time their boxes have left.
    for (let q = 1; q < 1 << chains.length; q++) {
      let demand = 0;
      let used = 0;
      for (let i = 0; i < chains.length; i++) if (q & (1 << i)) [demand, used] = [demand + rest[i]!, used | sets[i]!];
      let boxTime = 0;
      let n = 0;
      for (let b = 0; b < nBoxes; b++) if (used & (1 << b)) [boxTime, n] = [boxTime + fixed[b]!, n + 1];
      span = Math.max(span, (demand + boxTime) / n);
    }
    best = Math.min(best, span);
  }
  return best;
}

/**
 * A model's box time beyond its first load on each new box, at least: resident
 * for the chain's service and the gaps it stays through, plus loads for the
 * rest, choosing the gaps not stayed through (the largest are the cheapest to
 * leave) to minimise it. Loads: one per gap left, one more when `absent`, less
 * the loads already under way at T_{k−1} that may end in a gap (`underWay`),
 * and never fewer than the new boxes (already counted per box).
 */
export function flexibleDemand(chain: Chain, loadMs: number, absent: number, underWay: number, newBoxes: number): number {
  let stayed = chain.gaps.reduce((sum, g) => sum + g, 0);
  let best = Infinity;
  for (let left = 0; left <= chain.gaps.length; left++) {
    if (left > 0) stayed -= chain.gaps[left - 1]!;
    const loads = Math.max(0, left - underWay) + absent;
    best = Math.min(best, chain.service + stayed + loadMs * Math.max(0, loads - newBoxes));
  }
  return best;
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
