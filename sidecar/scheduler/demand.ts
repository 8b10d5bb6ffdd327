// Concurrent demand per model: how many of its requests have been running at
// once, on average, lately. An exponentially weighted time average of the
// running count (time constant DEMAND_TIME_CONSTANT_MS), updated in O(1) when
// a request starts or ends and read at any later time. An orchestrator that
// polls for 0.2 s every second scores about 0.2; two sub-agents working back
// to back with short tool-call gaps score about 2. Residency weighs a model's
// reload by this figure: evicting a model with more concurrent demand delays
// more work.

/**
 * How far back demand looks: long enough to bridge the gaps between an agent's
 * turns (tool calls take seconds) and a poller's requests, short enough that a
 * model whose work ended half a minute ago counts as nearly idle (e^-3 ≈ 5 %).
 */
export const DEMAND_TIME_CONSTANT_MS = 10_000;

interface Track {
  running: number;
  average: number;
  at: number;
}

export class DemandTracker {
  private readonly byModel = new Map<string, Track>();

  /** A request of `model` started (+1) or ended (−1) at `now`. */
  change(model: string, delta: 1 | -1, now: number): void {
    const t = this.byModel.get(model) ?? { running: 0, average: 0, at: now };
    t.average = decayed(t, now);
    t.at = now;
    t.running = Math.max(0, t.running + delta);
    // Kept in order of last change, so the entries that can have faded are at the front.
    this.byModel.delete(model);
    if (!faded(t, now)) this.byModel.set(model, t);
    this.sweep(now);
  }

  /** Tracked models (bounded: those that changed in the last few time constants, or are running). */
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

  /** Average number of the model's requests running at once, as of `now`. */
  of(model: string, now: number): number {
    const t = this.byModel.get(model);
    return t ? decayed(t, now) : 0;
  }
}

/** Demand this small reads as none: e^-7, seven time constants after the last request ended. */
const FADED = 1e-3;

function faded(t: Track, now: number): boolean {
  return t.running === 0 && decayed(t, now) < FADED;
}

function decayed(t: Track, now: number): number {
  const keep = Math.exp(-Math.max(0, now - t.at) / DEMAND_TIME_CONSTANT_MS);
  return t.average * keep + t.running * (1 - keep);
}
