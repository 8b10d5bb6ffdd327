// warmroute's own strategy. Order: WARM_FIRST_ORDER (starving, diversity, rest).
// Choice, for one request:
//  1. filters: healthy, serves the model, pinned, loads on demand (or holds
//     it), free slot, max models, break-even residency, holds, one load per model;
//  2. never unload a model that still has requests queued and no other warm
//     copy (it would be loaded again at once), unless the request is starving
//     and has no other option;
//  3. the cost view: expected start of each admissible option (0 warm, rest of
//     the load when joining one, learned load time when cold), plus the
//     reload an unloaded model's work will pay (its load time × its
//     demand), against the earliest warm slot to free up on a full backend.
//     Waiting wins when it is sooner (a starving request never waits by choice),
//     and while none of the model's requests has finished: the slot forecast
//     then rests on an assumed service time, and one finish (seconds) is a
//     cheaper way to learn it than a second load (the costly event);
//  4. among options about as cheap as the cheapest, those whose unload harms
//     least (a relative margin only), then those that leave every
//     model's only home open (plugins/open-room.ts), then the weighted
//     scorers and the max-score picker.
// After the cycle, loads may start ahead for requests still waiting
// (plugins/prewarm.ts: pre-warm and hedged cold start).
// When nothing is admissible, a starving request holds the backend that will
// make room soonest, and the first request of a model warm nowhere holds a
// backend to drain (llamacpp-ha's rule, where the running model must have
// somewhere to go now, not just another backend in the list).
import { START_TOLERANCE_RATIO, startTolerance } from '../cost.ts';
import { failsOnlyOn, weigh, type Cycle, type Evaluation, type Option, type Placement, type Scorer } from '../framework.ts';
import { affinityScorer } from '../plugins/affinity.ts';
import { BREAK_EVEN, breakEvenAt, breakEvenFilter, keptModel } from '../plugins/break-even.ts';
import { FREE_SLOT, freeSlotFilter } from '../plugins/free-slot.ts';
import { healthyFilter } from '../plugins/healthy.ts';
import { loadsOnDemandFilter } from '../plugins/loads-on-demand.ts';
import { drainHold, holdsFilter, somewhereToGoNow, starvationHold } from '../plugins/holds.ts';
import { loadScorer } from '../plugins/load.ts';
import { maxScorePicker } from '../plugins/max-score.ts';
import { memoryScorer } from '../plugins/memory.ts';
import { modelCapacityFilter } from '../plugins/model-capacity.ts';
import { keepOnlyHomesOpen } from '../plugins/open-room.ts';
import { pinnedFilter, restrictionKey } from '../plugins/pinned.ts';
import { planPrewarms } from '../plugins/prewarm.ts';
import { recencyScorer } from '../plugins/recency.ts';
import { servesModelFilter } from '../plugins/serves-model.ts';
import { spreadScorer } from '../plugins/spread.ts';
import { singleLoadFilter } from '../plugins/single-load.ts';
import { warmthScorer } from '../plugins/warmth.ts';
import type { DecisionReason } from '../types.ts';
import { describeRejections } from './explain.ts';
import { WARM_FIRST_ORDER } from './ordering.ts';
import type { Choice, Strategy } from './strategy.ts';

export const WARM_FIRST_SCORERS: readonly Scorer[] = [warmthScorer, loadScorer, affinityScorer, spreadScorer, recencyScorer, memoryScorer];

export const warmFirstStrategy: Strategy = {
  name: 'warm-first',
  filters: [healthyFilter, servesModelFilter, pinnedFilter, loadsOnDemandFilter, freeSlotFilter, modelCapacityFilter, breakEvenFilter, holdsFilter, singleLoadFilter],
  headOfLineBlocks: false,
  agingBound: true,
  order: WARM_FIRST_ORDER,
  choose: chooseWarmFirst,
  planPrewarms,
};

function chooseWarmFirst(p: Placement, ev: Evaluation, cycle: Cycle): Choice {
  const model = p.model;
  const { options, spared } = spareQueuedModels(p, ev.options, cycle);

  // Backends where the model is warm (or loading) and only a slot is missing: waiting there is an option.
  const full = ev.rejections.filter((r) => failsOnlyOn(r, [FREE_SLOT]) && r.backend.stateOf(model) !== 'cold').map((r) => r.backend);
  const forecast = full.length > 0 && !p.starving ? cycle.warmSlotForecast(model, restrictionKey(p.entry.req), full) : undefined;
  const warmSlot = forecast?.peek();

  if (options.length === 0) {
    const why = spared ? `would unload ${spared}, which still has requests queued` : describeRejections(ev.rejections) || 'no backend serves this model';
    const hold = p.starving ? starvationHold(ev) : p.diversity ? drainHold(ev, cycle, somewhereToGoNow) : undefined;
    if (hold !== undefined) return { kind: 'wait', why, hold: { backend: hold, why: p.starving ? 'starving' : 'drain' } };
    const recheckAt = Math.min(warmSlot ? cycle.now + warmSlot.at : Infinity, breakEvenRecheck(p, ev, cycle));
    return Number.isFinite(recheckAt) ? { kind: 'wait', why, recheckAt } : { kind: 'wait', why };
  }

  const starts = new Map(options.map((o) => [o.backend.name, cycle.expectedStartMs(o.backend, model)]));
  const costs = new Map(options.map((o) => [o.backend.name, starts.get(o.backend.name)! + reloadCostMs(o, cycle)]));
  const expectedStartsMs = Object.fromEntries([...starts].map(([k, v]) => [k, Math.round(v)]));
  if (warmSlot) expectedStartsMs[warmSlot.backend] = Math.round(warmSlot.at);
  const cheapest = Math.min(...costs.values());
  if (warmSlot && (warmSlot.at < cheapest || (cheapest > 0 && !cycle.knowsServiceTime(model)))) {
    forecast!.take();
    const why =
      warmSlot.at < cheapest
        ? `a slot on ${warmSlot.backend}, where ${model} is warm, is expected in ${Math.round(warmSlot.at)} ms, before ${Math.round(cheapest)} ms elsewhere`
        : `${model} is warm or loading on ${warmSlot.backend} and none of its requests has finished yet: its first finish tells whether another copy is worth a load`;
    return { kind: 'wait', why, recheckAt: cycle.now + warmSlot.at };
  }

  const near = keepOnlyHomesOpen(leastHarm(options.filter((o) => costs.get(o.backend.name)! <= cheapest + startTolerance(cheapest)), cycle), model, cycle);
  const totals = weigh(WARM_FIRST_SCORERS, cycle.settings.weights, p, near, cycle);
  const chosen = maxScorePicker.pick(p, near, totals);
  return {
    kind: 'dispatch',
    option: chosen,
    reason: reasonFor(p, chosen, near, totals, cycle),
    scores: Object.fromEntries([...totals].map(([k, v]) => [k, Math.round(v * 1000) / 1000])),
    expectedStartsMs,
  };
}

/**
 * The reload that unloading this option's victim moves onto the victim's
 * work: its learned load time × its demand (0 when nothing is
 * unloaded or it is warm elsewhere; fades as the victim stays idle).
 */
function reloadCostMs(o: Option, cycle: Cycle): number {
  if (o.fit.kind !== 'evict' || cycle.heldElsewhere(o.fit.victim, o.backend.name)) return 0;
  return cycle.loadEstimateMs(o.backend, o.fit.victim) * cycle.demandOf(o.fit.victim, o.backend);
}

/**
 * Among options about as early, those whose unload harms least: the tolerance
 * is for rough start estimates, not for the reload an option pushes onto a
 * model still in use. Only a relative margin (START_TOLERANCE_RATIO) counts
 * as equal here, so a scorer (a new conversation's spread, say) never picks
 * unloading a poller between its polls over a model whose burst is over.
 */
function leastHarm(options: readonly Option[], cycle: Cycle): readonly Option[] {
  const harm = new Map(options.map((o) => [o.backend.name, reloadCostMs(o, cycle)]));
  const least = Math.min(...harm.values());
  return options.filter((o) => harm.get(o.backend.name)! <= least * (1 + START_TOLERANCE_RATIO));
}

/** The earliest time a backend refused only to keep a model worth keeping would accept this request, if nothing else changes. */
function breakEvenRecheck(p: Placement, ev: Evaluation, cycle: Cycle): number {
  let at = Infinity;
  for (const r of ev.rejections) {
    if (!failsOnlyOn(r, [BREAK_EVEN])) continue;
    const kept = keptModel(p, r.backend, cycle);
    if (kept) at = Math.min(at, breakEvenAt(kept, cycle.now));
  }
  return at;
}

/**
 * Drop options that would unload a model with requests still queued and no
 * other warm copy. A starving request keeps them when nothing else is left.
 */
function spareQueuedModels(p: Placement, options: readonly Option[], cycle: Cycle): { options: readonly Option[]; spared?: string } {
  let spared: string | undefined;
  const kept = options.filter((o) => {
    if (o.fit.kind !== 'evict') return true;
    const victim = o.fit.victim;
    const wanted = cycle.queuedDemand(victim, o.backend.name) > 0 && !cycle.heldElsewhere(victim, o.backend.name);
    if (!wanted) return true;
    spared = victim;
    return false;
  });
  if (kept.length === options.length || (kept.length === 0 && p.starving)) return { options };
  return { options: kept, spared };
}

function reasonFor(p: Placement, chosen: Option, options: readonly Option[], totals: ReadonlyMap<string, number>, cycle: Cycle): DecisionReason {
  if (p.entry.req.pinnedBackend !== undefined) return 'pinned';
  // Affinity is the reason only when it changed the outcome.
  const affinity = affinityScorer.score(p, options, cycle);
  if ((affinity.get(chosen.backend.name) ?? 0) > 0 && cycle.settings.weights.affinity > 0) {
    const without = new Map([...totals].map(([name, t]) => [name, t - cycle.settings.weights.affinity * (affinity.get(name) ?? 0)]));
    if (maxScorePicker.pick(p, options, without).backend.name !== chosen.backend.name) return 'affinity';
  }
  return chosen.state === 'warm' ? 'warm' : chosen.state === 'loading' ? 'joined-load' : 'cold-load';
}
