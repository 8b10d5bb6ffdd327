// Filter: residency by cost (warm-first's replacement for a fixed sticky
// window). Unloading an idle model V moves a reload of L ms (learned per
// backend and model) onto V's next requests; keeping it makes the requests
// queued for other models wait. A ski-rental rule decides: V keeps its
// backend while the waiting it has imposed since it went idle stays below
// L × d, where d is V's demand (demand.ts): the larger of its concurrency (its
// requests running at once, time-averaged over the last seconds) and, while it
// is idle, its recurrence (how soon its next request is due, from its usual
// gap between requests). Once the waiting reaches
// that, V is unloaded: the waiting paid never exceeds the reload it avoids,
// so the rule is within twice the cost of an oracle that knew whether V would
// be wanted again. A model with two agents working back to back (d ≈ 2)
// rides out their tool-call gaps; so does a poller between its polls (its
// recurrence is near 1 within a gap or two), while a burst that ended
// several gaps ago yields within a fraction of its load time. Like the sticky window it guards only a model's last warm
// copy and yields to higher model priority, to a starving request and to a
// backend drained for the request's model.
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
  /** The worth `dt` ms from now if nothing changes (the victim stays idle: its demand fades). */
  worthAfter(dtMs: number): number;
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
  const reloadMs = cycle.loadEstimateMs(b, victim);
  const worthMs = reloadMs * cycle.demandOf(victim, b);
  const imposed = cycle.imposedWait(b.name, victim, since);
  if (imposed.totalMs >= worthMs) return undefined;
  return { victim, imposedMs: imposed.totalMs, worthMs, waiters: imposed.waiters, worthAfter: (dt) => reloadMs * cycle.demandOf(victim, b, dt) };
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
 * imposed waiting grows by `waiters` ms per ms while the worth fades (the
 * model is idle). Worth − imposed decreases, so the first millisecond where
 * it is ≤ 0 is found by bisection, within worth / waiters (the imposed waiting
 * alone reaches the worth by then).
 */
export function breakEvenAt(kept: KeepVerdict, now: number): number {
  const k = Math.max(1, kept.waiters);
  const crossed = (t: number): boolean => kept.worthAfter(t) <= kept.imposedMs + k * t;
  let lo = 0;
  let hi = Math.max(1, Math.ceil(kept.worthMs / k));
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (crossed(mid)) hi = mid;
    else lo = mid;
  }
  return now + hi;
}
