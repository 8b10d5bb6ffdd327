// Filter: holds. A backend held for a waiting request (a drain for a cold
// model, or a starving request's claim) takes no other model's requests that
// rank after the holder. Requests for the held model may still use it.
import { ADMIT, failsOnlyOn, refuse, type BackendState, type Cycle, type Evaluation, type Filter } from '../framework.ts';
import { FREE_SLOT } from './free-slot.ts';
import { MODEL_CAPACITY } from './model-capacity.ts';

export const HOLDS = 'holds';

const HOLD_WHY = { drain: 'draining for a cold model', starving: 'a request past the aging bound', prewarm: 'pre-warming it' } as const;

export const holdsFilter: Filter = {
  name: HOLDS,
  check: (p, b, cycle) => {
    const hold = cycle.holdOn(b.name);
    if (!hold || hold.model === p.model || hold.rank >= p.rank) return ADMIT;
    return refuse(`held for ${hold.model} (${HOLD_WHY[hold.why]})`);
  },
};

/** Does a model running on backend `except` have somewhere else to go? */
export type ElsewhereTest = (cycle: Cycle, model: string, except: string) => boolean;

/** llamacpp-ha's reading: another healthy backend may serve it, busy or not. */
export const anyOtherBackend: ElsewhereTest = (cycle, model, except) => cycle.servableElsewhere(model, except);
/**
 * warmroute's reading: it is warm or loading elsewhere, or another backend
 * can take it now without unloading anything still wanted. With more models
 * than backends, "may be served elsewhere" alone drains a backend towards
 * one that is busy with a third model, and the models chase each other round.
 */
export const somewhereToGoNow: ElsewhereTest = (cycle, model, except) => cycle.placeableElsewhere(model, except);

/**
 * Drain reservation (llamacpp-ha's rule), for the first request of a model
 * that is warm nowhere: a backend with a free slot that refuses it only
 * because every model it holds is running is kept from taking more of those
 * models, so it drains and the cold model can load. Only when each running
 * model there has somewhere else to go (`elsewhere`): a model is never
 * starved of its only backend. The one with the most free slots is chosen.
 */
export function drainHold(ev: Evaluation, cycle: Cycle, elsewhere: ElsewhereTest): string | undefined {
  let best: BackendState | undefined;
  for (const r of ev.rejections) {
    if (!failsOnlyOn(r, [MODEL_CAPACITY])) continue;
    const b = r.backend;
    if (![...b.residency.running.keys()].every((m) => elsewhere(cycle, m, b.name))) continue;
    if (!best || preferred(b, best, [(x) => x.freeSlots, (x) => -x.load])) best = b;
  }
  return best?.name;
}

/**
 * Starvation hold: a request past the aging bound that cannot start claims
 * the backend that will make room for it soonest (fewest requests running),
 * among those refusing it only for capacity (slots or models running). No
 * other model refills it meanwhile, whether or not those models have
 * somewhere else to go: this is what bounds the wait.
 */
export function starvationHold(ev: Evaluation): string | undefined {
  let best: BackendState | undefined;
  for (const r of ev.rejections) {
    if (!failsOnlyOn(r, [MODEL_CAPACITY, FREE_SLOT])) continue;
    const b = r.backend;
    if (!best || preferred(b, best, [(x) => -x.load, (x) => x.freeSlots])) best = b;
  }
  return best?.name;
}

/** Is `a` preferred to `b`: higher on the first key that differs, else earlier in the policy? */
function preferred(a: BackendState, b: BackendState, keys: ReadonlyArray<(x: BackendState) => number>): boolean {
  for (const key of keys) {
    const d = key(a) - key(b);
    if (d !== 0) return d > 0;
  }
  return a.index < b.index;
}
