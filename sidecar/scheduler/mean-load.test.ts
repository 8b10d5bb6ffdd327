import { describe, expect, it } from 'vitest';
import { advanceMeanLoad, IDLE_MEAN_LOAD, MEAN_LOAD_TIME_CONSTANT_MS as TAU, meanLoadAt } from './mean-load.ts';

describe('mean load', () => {
  it('follows a step of the load exponentially, with the time constant', () => {
    const m = advanceMeanLoad(IDLE_MEAN_LOAD, 4, 1_000);
    expect(meanLoadAt(m, 1_000)).toBe(0);
    expect(meanLoadAt(m, 1_000 + TAU)).toBeCloseTo(4 * (1 - Math.exp(-1)), 9);
    expect(meanLoadAt(m, 1_000 + 50 * TAU)).toBeCloseTo(4, 9);
  });

  it('is exact over piecewise-constant loads, however often it is advanced', () => {
    // Load 2 over [0, τ), then 0: advancing at every change or also in between gives the same average.
    const once = advanceMeanLoad(advanceMeanLoad(IDLE_MEAN_LOAD, 2, 0), 0, TAU);
    let often = advanceMeanLoad(IDLE_MEAN_LOAD, 2, 0);
    for (let t = 100; t < TAU; t += 100) often = advanceMeanLoad(often, 2, t);
    often = advanceMeanLoad(often, 0, TAU);
    for (const t of [TAU, 1.5 * TAU, 3 * TAU]) expect(meanLoadAt(often, t)).toBeCloseTo(meanLoadAt(once, t), 9);
    expect(meanLoadAt(once, 2 * TAU)).toBeCloseTo(2 * (1 - Math.exp(-1)) * Math.exp(-1), 9);
  });

  it('never reads before its last change, and an unchanged load at the same instant is the same object', () => {
    const m = advanceMeanLoad(IDLE_MEAN_LOAD, 3, 5_000);
    expect(meanLoadAt(m, 4_000)).toBe(meanLoadAt(m, 5_000));
    expect(advanceMeanLoad(m, 3, 5_000)).toBe(m);
  });
});
