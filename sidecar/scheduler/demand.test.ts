import { describe, expect, it } from 'vitest';
import { DEMAND_TIME_CONSTANT_MS, DemandTracker } from './demand.ts';

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

  it('keeps a model while its requests run, however long', () => {
    const d = new DemandTracker();
    d.change('long', 1, 0);
    for (let i = 0; i < 1000; i++) {
      d.change(`short-${i}`, 1, 1_000_000 + i);
      d.change(`short-${i}`, -1, 1_000_000 + i);
    }
    expect(d.of('long', 2_000_000)).toBeCloseTo(1, 6);
  });
});
