// Demand per model: how many of its requests a reload would delay if it were
// unloaded now.
//  - concurrency C: how many of its requests have been running at once, on
//    average, lately. An exponentially weighted time average of the running
//    count (time constant DEMAND_TIME_CONSTANT_MS), updated in O(1) when a
//    request starts or ends. Two sub-agents working back to back score about 2.
//  - while a model is idle, its recurrence r: the chance its next request comes
//    soon. Its usual idle gap g (time from "nothing running" to its next
//    request's arrival, averaged) sets the scale: r = e^(−idle / (RETURN_HORIZON_GAPS × g)).
//    Until a model has a gap of its own, the usual gap over all models stands
//    in, else the caller's prior. An idle model's demand is max(1, C at the
//    moment it went idle) × r: as many requests as ran at once, at least one,
//    if it comes back. A poller whose requests take 10 ms every 0.8 s runs at
//    C ≈ 0.01, yet its next request is due within a gap and would wait a whole
//    reload: its demand stays near 1 between polls. A burst that ended several
//    gaps ago reads as over, however busy it was (C's 10 s memory does not
//    keep it: that was the bench:peers case of sub-agents whose requests had
//    waited for a load).
//  - with no gap known at all, the concurrency alone, decaying with τ.
// Residency weighs a model's reload by this figure: evicting a model with
// more demand delays more work.

/**
 * How far back demand looks: long enough to bridge the gaps between an agent's
 * turns (tool calls take seconds) and a poller's requests, short enough that a
 * model whose work ended half a minute ago counts as nearly idle (e^-3 ≈ 5 %).
 */
export const DEMAND_TIME_CONSTANT_MS = 10_000;

/**
 * How many usual gaps of idleness make a model's return e^-1 likely: after one
 * gap it is still about 0.6 (a late poll), after four about 0.1 (its burst is over).
 */
export const RETURN_HORIZON_GAPS = 2;
/**
 * A model whose demand is below this is idle: nothing of it runs lately and its
 * next request is not due (about five of its usual gaps without one). It may be
 * unloaded without anyone asking for its backend (a pre-warm, a drain).
 */
export const IDLE_DEMAND = 0.05;
/** Weight of the newest gap in the usual gap (an EWMA): a few gaps set it, one outlier does not. */
const GAP_ALPHA = 0.3;

interface Track {
  running: number;
  average: number;
  /** Last change of `running` (or re-baselining of `average` to it). */
  at: number;
  /** Since when nothing of this model runs and no request of it arrived (undefined while one runs or waits). */
  idleSince?: number;
  /** Usual idle gap, ms; capped at the time constant (the track is forgotten a few constants after its last change anyway). */
  gapMs?: number;
}

export class DemandTracker {
  private readonly byModel = new Map<string, Track>();
  /** Usual idle gap over all models: a model's own until it has one (its first burst is not over after its first request). */
  private anyGapMs: number | undefined;

  /** A request of `model` started (+1) or ended (−1) at `now`. */
  change(model: string, delta: 1 | -1, now: number): void {
    const t = this.touch(model, now);
    t.running = Math.max(0, t.running + delta);
    t.idleSince = t.running === 0 ? now : undefined;
    this.keep(model, t, now);
  }

  /** A request of `model` arrived at `now` (before it is queued or started): ends an idle gap. */
  arrived(model: string, now: number): void {
    const t = this.touch(model, now);
    if (t.running === 0 && t.idleSince !== undefined) {
      const gap = Math.min(DEMAND_TIME_CONSTANT_MS, now - t.idleSince);
      t.gapMs = ewma(t.gapMs, gap);
      this.anyGapMs = ewma(this.anyGapMs, gap);
    }
    t.idleSince = undefined;
    this.keep(model, t, now);
  }

  private touch(model: string, now: number): Track {
    const t = this.byModel.get(model) ?? { running: 0, average: 0, at: now };
    t.average = decayed(t, now);
    t.at = now;
    return t;
  }

  private keep(model: string, t: Track, now: number): void {
    // Kept in order of last change, so the entries that can have faded are at the front.
    this.byModel.delete(model);
    if (!faded(t, now)) this.byModel.set(model, t);
    this.sweep(now);
    for (const oldest of this.byModel.keys()) {
      if (this.byModel.size <= MAX_TRACKED_MODELS) break;
      this.byModel.delete(oldest);
    }
  }

  /** Tracked models (bounded: those that changed in the last few time constants, or are running; at most MAX_TRACKED_MODELS). */
  size(): number {
    return this.byModel.size;
  }

  /**
   * Forget models whose demand has faded, oldest change first: O(1) amortized per change, so
   * model names that come once (clients may send anything the allowlist admits) do not pile up.
   */
  private sweep(now: number): void {
    for (const [model, t] of this.byModel) {
      if (!faded(t, now)) return;
      this.byModel.delete(model);
    }
  }

  /** The model's demand as of `now` (or later, if nothing changes before). */
  of(model: string, now: number, priorGapMs?: number): number {
    const t = this.byModel.get(model);
    if (!t) return 0;
    // Idle (its last change was the end that left nothing running): `average` is C as it went idle.
    const gap = t.gapMs ?? this.anyGapMs ?? priorGapMs;
    if (t.idleSince !== undefined && gap !== undefined) return Math.max(1, t.average) * recurrence(now - t.idleSince, gap);
    return decayed(t, now);
  }

  /**
   * Idle enough to unload with nobody asking for its backend (a pre-warm, a drain): both its
   * concurrency, with its 10 s memory, and its demand as read above (without a prior) are below
   * IDLE_DEMAND. Stricter than `of`, which weighs a model against requests actually waiting.
   */
  isIdle(model: string, now: number): boolean {
    const t = this.byModel.get(model);
    return !t || (decayed(t, now) < IDLE_DEMAND && this.of(model, now) < IDLE_DEMAND);
  }
}

/** How likely an idle model's next request comes soon, from how long it has been idle in units of its usual gap. */
function recurrence(idleMs: number, gapMs: number): number {
  return Math.exp(-Math.max(0, idleMs) / (RETURN_HORIZON_GAPS * Math.max(1, gapMs)));
}

function ewma(average: number | undefined, sample: number): number {
  return average === undefined ? sample : GAP_ALPHA * sample + (1 - GAP_ALPHA) * average;
}

/**
 * A model with nothing running is forgotten this long after its last change
 * (seven time constants: its concurrency has decayed below e^-7 and its
 * recurrence, with a gap of at most one constant, below e^-3.5). A rule by
 * time alone keeps the tracks in order of fading, so the sweep stays O(1).
 */
const FORGET_AFTER_MS = 7 * DEMAND_TIME_CONSTANT_MS;
/**
 * At most this many models are tracked; past it the one changed longest ago is
 * forgotten first. A fleet serves a handful of models; a client that sends a
 * stream of made-up names the allowlist admits (a catch-all backend) must not
 * grow the table for 70 s worth of them.
 */
export const MAX_TRACKED_MODELS = 1024;

function faded(t: Track, now: number): boolean {
  return t.running === 0 && now - t.at >= FORGET_AFTER_MS;
}

function decayed(t: Track, now: number): number {
  const keep = Math.exp(-Math.max(0, now - t.at) / DEMAND_TIME_CONSTANT_MS);
  return t.average * keep + t.running * (1 - keep);
}
