import { describe, expect, it } from 'vitest';
import { DEMAND_TIME_CONSTANT_MS, DemandTracker, MAX_TRACKED_MODELS } from './demand.ts';

describe('DemandTracker bounds', () => {
  it('forgets the least recently changed idle models past its cap, never one with requests running', () => {
    const d = new DemandTracker();
    d.change('busy', 1, 0); // stays running throughout
    for (let i = 0; i < 5 * MAX_TRACKED_MODELS; i++) {
      d.change(`client-name-${i}`, 1, i);
      d.change(`client-name-${i}`, -1, i + 1_000); // a second's work: not negligible demand
    }
    expect(d.size).toBeLessThanOrEqual(MAX_TRACKED_MODELS);
    // The running model kept its history: one request running since 0.
    const end = 5 * MAX_TRACKED_MODELS;
    expect(d.of('busy', end)).toBeCloseTo(1 - Math.exp(-end / DEMAND_TIME_CONSTANT_MS), 6);
    // The most recent names are still tracked; the oldest are forgotten (demand 0).
    expect(d.of(`client-name-${5 * MAX_TRACKED_MODELS - 1}`, 5 * MAX_TRACKED_MODELS)).toBeGreaterThan(0);
    expect(d.of('client-name-0', 5 * MAX_TRACKED_MODELS)).toBe(0);
  });

  it('keeps demand of a model that is changed again', () => {
    const d = new DemandTracker();
    d.change('m', 1, 0);
    d.change('m', 1, 0);
    expect(d.of('m', 60_000)).toBeCloseTo(2, 1);
    d.change('m', -1, 60_000);
    d.change('m', -1, 60_000);
    expect(d.of('m', 60_000)).toBeCloseTo(2, 1);
    expect(d.of('m', 70_000)).toBeLessThan(1);
  });
});
