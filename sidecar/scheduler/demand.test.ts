import { describe, expect, it } from 'vitest';
import { DEMAND_TIME_CONSTANT_MS, DemandTracker, IDLE_DEMAND, MAX_TRACKED_MODELS, RETURN_HORIZON_GAPS } from './demand.ts';

/** `n` requests of `model`, `parallel` at once, each running `runMs`, one every `everyMs` from `from`; returns when the next would arrive. */
function requests(d: DemandTracker, model: string, o: { from: number; n: number; everyMs: number; runMs: number; parallel?: number }): number {
  let now = o.from;
  for (let i = 0; i < o.n; i++) {
    d.arrived(model, now);
    for (let k = 0; k < (o.parallel ?? 1); k++) d.change(model, 1, now);
    for (let k = 0; k < (o.parallel ?? 1); k++) d.change(model, -1, now + o.runMs);
    now += o.everyMs;
  }
  return now;
}

describe('DemandTracker', () => {
  it('averages the running count over time', () => {
    const d = new DemandTracker();
    d.change('m', 1, 0);
    d.change('m', 1, 0);
    expect(d.of('m', DEMAND_TIME_CONSTANT_MS)).toBeCloseTo(2 * (1 - Math.exp(-1)), 6);
    d.change('m', -1, DEMAND_TIME_CONSTANT_MS);
    d.change('m', -1, DEMAND_TIME_CONSTANT_MS);
    expect(d.of('m', 2 * DEMAND_TIME_CONSTANT_MS)).toBeCloseTo(2 * (1 - Math.exp(-1)) * Math.exp(-1), 6);
  });

  it('forgets models whose demand faded, so names seen once do not pile up', () => {
    const d = new DemandTracker();
    let now = 0;
    for (let i = 0; i < 100_000; i++) {
      now += 10;
      d.change(`model-${i}`, 1, now);
      d.change(`model-${i}`, -1, now + 5);
    }
    // Only models that ended within about seven time constants can still be tracked.
    expect(d.size()).toBeLessThanOrEqual(Math.ceil((7 * DEMAND_TIME_CONSTANT_MS) / 10) + 1);
    expect(d.of('model-0', now)).toBe(0);
  });

  it('tracks at most MAX_TRACKED_MODELS, however many names arrive at once', () => {
    const d = new DemandTracker();
    for (let i = 0; i < 5 * MAX_TRACKED_MODELS; i++) requests(d, `made-up-${i}`, { from: i, n: 2, everyMs: 1, runMs: 0 });
    expect(d.size()).toBeLessThanOrEqual(MAX_TRACKED_MODELS);
  });

  it('keeps a model while its requests run, however long', () => {
    const d = new DemandTracker();
    d.change('long', 1, 0);
    for (let i = 0; i < 1000; i++) {
      d.change(`short-${i}`, 1, 1_000_000 + i);
      d.change(`short-${i}`, -1, 1_000_000 + i);
    }
    expect(d.of('long', 2_000_000)).toBeCloseTo(1, 6);
  });

  it('reads a poller by when its next request is due, not by how little of the time it runs', () => {
    const d = new DemandTracker();
    const now = requests(d, 'poller', { from: 0, n: 10, everyMs: 800, runMs: 10 });
    const lastEnd = now - 800 + 10;
    // Within a gap of its last poll it is as good as busy; several gaps later, idle.
    expect(d.of('poller', lastEnd + 790)).toBeGreaterThan(Math.exp(-1 / RETURN_HORIZON_GAPS) - 0.01);
    expect(d.of('poller', lastEnd + 6 * 790)).toBeLessThan(IDLE_DEMAND);
    // A request arriving ends the idle spell: recurrence no longer counts (it is queued or running).
    d.arrived('poller', lastEnd + 100);
    expect(d.of('poller', lastEnd + 100)).toBeLessThan(0.01);
  });

  it('takes the usual gap over all models, else the caller\'s prior, for a model with no gap of its own yet', () => {
    const d = new DemandTracker();
    d.change('first', 1, 0);
    d.change('first', -1, 10);
    expect(d.of('first', 1010)).toBeLessThan(0.01);
    expect(d.of('first', 1010, 1000)).toBeCloseTo(Math.exp(-1000 / (RETURN_HORIZON_GAPS * 1000)), 6);
    for (const at of [20, 520]) {
      d.arrived('other', at);
      d.change('other', 1, at);
      d.change('other', -1, at + 10);
    }
    // other's one gap (490 ms) stands in for first's, ahead of the prior.
    expect(d.of('first', 1010, 1000)).toBeCloseTo(Math.exp(-1000 / (RETURN_HORIZON_GAPS * 490)), 6);
  });

  it('calls a model idle (free to unload unasked) only when both its concurrency and its demand have faded', () => {
    const d = new DemandTracker();
    // A busy burst of quick steps, then nothing: its recurrence fades within a second, its concurrency over seconds.
    let now = requests(d, 'burst', { from: 0, n: 20, everyMs: 550, runMs: 500, parallel: 2 });
    const end = now - 50;
    expect(d.of('burst', end + 2000)).toBeLessThan(IDLE_DEMAND);
    expect(d.isIdle('burst', end + 2000)).toBe(false);
    expect(d.isIdle('burst', end + 7 * DEMAND_TIME_CONSTANT_MS)).toBe(true);
    // A poller between polls is not idle, though it hardly ever runs.
    now = requests(d, 'poller', { from: now, n: 10, everyMs: 800, runMs: 10 });
    expect(d.isIdle('poller', now - 800 + 500)).toBe(false);
  });
});
