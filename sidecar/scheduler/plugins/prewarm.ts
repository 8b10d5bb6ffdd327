// Pre-warm and hedged cold start (warm-first): which loads to start ahead of
// the requests that will use them. For each model with requests still waiting
// after a dispatch cycle, its first waiter's expected wait is weighed against
// the learned load time on an idle backend that can hold the model without
// unloading anything wanted (room beside what it holds, or an idle model with
// no requests queued and its demand faded, or warm elsewhere too). When the
// wait is longer, that backend loads the model now through the server's own
// load call, and the request is served from whichever is ready first: a warm
// slot where it was waiting, or the pre-warmed copy.
//  - No warm copy anywhere (e.g. a router that does not load on demand): the
//    wait is unbounded, so any such backend pre-warms (plain pre-warm).
//  - Warm or loading only on full backends: the wait is the forecast of the
//    first slot to free there (hedged cold start).
// A hedge is a bet on estimates, so it waits until a load and one of the
// model's requests were timed: on assumed figures (a 20 s load, a 10 s
// request) a model loading elsewhere looked slow enough to load twice.
// One pre-warm per model and per backend at a time; servers without a load
// call (settings.canPrewarm) are never asked.
import type { BackendState, Cycle, Placement } from '../framework.ts';
import { mayRunOn, restrictionKey } from './pinned.ts';


export interface PrewarmPlan {
  backend: string;
  model: string;
  why: string;
  expectedLoadMs: number;
}

export interface PrewarmState {
  /** Backends with a pre-warm in progress. */
  busyBackends: ReadonlySet<string>;
  /** Models with a pre-warm in progress. */
  models: ReadonlySet<string>;
}

/** Expected ms until the placement could start where its model is already warm or loading (Infinity when nowhere). */
export function expectedWarmWaitMs(p: Placement, cycle: Cycle): number {
  const holding = cycle
    .backends()
    .filter((b) => b.view.healthy && cycle.isCandidate(b.name, p.model) && mayRunOn(p.entry.req, b.name) && b.stateOf(p.model) !== 'cold');
  if (holding.length === 0) return Infinity;
  const open = holding.filter((b) => b.freeSlots > 0);
  if (open.length > 0) return Math.min(...open.map((b) => cycle.expectedStartMs(b, p.model)));
  return cycle.warmSlotForecast(p.model, restrictionKey(p.entry.req), holding).peek()?.at ?? Infinity;
}

/** The backend is idle and loading the model there unloads nothing anyone wants. */
function harmlessHost(b: BackendState, model: string, cycle: Cycle): boolean {
  if (!b.view.healthy || b.view.sleeping || b.load > 0 || !cycle.settings.canPrewarm(b.name) || !cycle.isCandidate(b.name, model)) return false;
  if (b.stateOf(model) !== 'cold') return false;
  const hold = cycle.holdOn(b.name);
  if (hold && hold.model !== model) return false;
  const fit = b.fitOf(model);
  if (fit.kind === 'room') return true;
  if (fit.kind !== 'evict') return false;
  const v = fit.victim;
  return cycle.queuedDemand(v, b.name) === 0 && (cycle.heldElsewhere(v, b.name) || cycle.isIdle(v));
}

export function planPrewarms(waiting: readonly Placement[], cycle: Cycle, state: PrewarmState): PrewarmPlan[] {
  const plans: PrewarmPlan[] = [];
  const usedBackends = new Set(state.busyBackends);
  const seen = new Set<string>();
  for (const p of waiting) {
    if (seen.has(p.model)) continue;
    seen.add(p.model);
    if (state.models.has(p.model)) continue;
    const hosts = cycle.backends().filter((b) => !usedBackends.has(b.name) && mayRunOn(p.entry.req, b.name) && harmlessHost(b, p.model, cycle));
    if (hosts.length === 0) continue;
    const waitMs = expectedWarmWaitMs(p, cycle);
    let best: BackendState | undefined;
    let bestLoad = Infinity;
    for (const b of hosts) {
      const load = cycle.loadEstimateMs(b, p.model);
      if (load < bestLoad) [best, bestLoad] = [b, load];
    }
    if (!best || !(waitMs > bestLoad)) continue;
    if (Number.isFinite(waitMs) && !(cycle.knowsLoadTimes() && cycle.knowsServiceTime(p.model))) continue;
    usedBackends.add(best.name);
    const why = Number.isFinite(waitMs)
      ? `hedge: ${p.model}'s first waiter expects a warm slot in ${Math.round(waitMs)} ms, a load on idle ${best.name} takes ${Math.round(bestLoad)} ms`
      : `${p.model} has requests waiting and is warm nowhere that can serve them; idle ${best.name} can hold it without unloading anything wanted`;
    plans.push({ backend: best.name, model: p.model, why, expectedLoadMs: Math.round(bestLoad) });
  }
  return plans;
}
