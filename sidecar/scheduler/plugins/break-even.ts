// Filter: residency by cost (warm-first's replacement for a fixed sticky
// window). Unloading an idle model V moves a reload of L ms (learned per
// backend and model) onto V's next requests; keeping it makes the requests
// queued for other models wait. A ski-rental rule decides: V keeps its
// backend while the waiting it has imposed since it went idle stays below
// L × d, where d is V's concurrent demand (its requests running at once,
// time-averaged over the last seconds, demand.ts). Once the waiting reaches
// that, V is unloaded: the waiting paid never exceeds the reload it avoids,
// so the rule is within twice the cost of an oracle that knew whether V would
// be wanted again. A poller (d ≈ 0.2) yields within a fraction of its load
// time; a model with two agents working back to back (d ≈ 2) rides out their
// tool-call gaps. Like the sticky window it guards only a model's last warm
// copy and yields to higher model priority, to a starving request and to a
// backend drained for the request's model.
import { DEMAND_TIME_CONSTANT_MS } from '../demand.ts';
import { ADMIT, refuse, type BackendState, type Cycle, type Filter, type Placement } from '../framework.ts';

export const BREAK_EVEN = 'break-even';

export interface KeepVerdict {
  victim: string;
  /** Waiting imposed so far (ms, summed over waiters). */
  imposedMs: number;
  /** What keeping it is worth: reload × demand (ms). */
  worthMs: number;
  /** Queued requests the waiting is imposed on. */
  waiters: number;
}

/** The idle model that admitting `p` on `b` would unload, while keeping it is still worth more than the waiting it imposes. */
export function keptModel(p: Placement, b: BackendState, cycle: Cycle): KeepVerdict | undefined {
  const fit = b.fitOf(p.model);
  if (fit.kind !== 'evict') return undefined;
  const victim = fit.victim;
  const since = b.view.models.get(victim)?.lastUsedAt;
  if (since === undefined) return undefined; // never used through us: nothing to keep warm for
  if (p.starving || p.waivesStickyWindows) return undefined;
  if (p.modelPriority > cycle.settings.modelPriority(victim)) return undefined;
  if (cycle.drainedFor(b.name) === p.model) return undefined;
  if (cycle.heldElsewhere(victim, b.name)) return undefined;
  // A victim with requests queued is spared by the strategy itself (it would be loaded again at once).
  if (cycle.queuedDemand(victim, b.name) > 0) return undefined;
  const worthMs = cycle.loadEstimateMs(b, victim) * cycle.demandOf(victim);
  const imposed = cycle.imposedWait(b.name, victim, since);
  return imposed.totalMs < worthMs ? { victim, imposedMs: imposed.totalMs, worthMs, waiters: imposed.waiters } : undefined;
}

export const breakEvenFilter: Filter = {
  name: BREAK_EVEN,
  check: (p, b, cycle) => {
    const kept = keptModel(p, b, cycle);
    if (!kept) return ADMIT;
    return refuse(`${kept.victim} is worth keeping: ${Math.round(kept.imposedMs)} ms of waiting imposed < ${Math.round(kept.worthMs)} ms (reload × demand)`);
  },
};

/**
 * When a kept model stops being worth keeping, if nothing else changes: the
 * imposed waiting grows by `waiters` ms per ms while the worth decays as
 * e^(−t/τ) (the model is idle). Newton's method on worth − imposed, which is
 * convex and decreasing, approaches the crossing from below; rounded up to
 * the millisecond.
 */
export function breakEvenAt(kept: KeepVerdict, now: number): number {
  const k = Math.max(1, kept.waiters);
  let t = 0;
  for (let i = 0; i < 6; i++) {
    const worth = kept.worthMs * Math.exp(-t / DEMAND_TIME_CONSTANT_MS);
    const f = worth - kept.imposedMs - k * t;
    if (f <= 0) break;
    t += f / (k + worth / DEMAND_TIME_CONSTANT_MS);
  }
  return now + Math.max(1, Math.ceil(t));
}
