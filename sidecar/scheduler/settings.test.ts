import { describe, expect, it } from 'vitest';
import { policyWith } from './testing/fixtures.ts';
import { settingsFrom } from './settings.ts';

describe('settings', () => {
  it('derives the aging rate so that age is worth the warm bonus after aging_ms', () => {
    const s = settingsFrom(policyWith([{ name: 'b1', models: ['a'] }], { scheduler: { warm_bonus: 60, aging_ms: 30_000 } }));
    expect(s.agingRatePerMs * 30_000).toBeCloseTo(60);
  });

  it('still ages requests without a warm bonus (one point per aging_ms)', () => {
    const s = settingsFrom(policyWith([{ name: 'b1', models: ['a'] }], { scheduler: { warm_bonus: 0, aging_ms: 10_000 } }));
    expect(s.agingRatePerMs * 10_000).toBeCloseTo(1);
  });

  it('reads per-model priority and unload delay with the scheduler default', () => {
    const s = settingsFrom(
      policyWith([{ name: 'b1', models: ['a', 'b'] }], { scheduler: { unload_delay_ms: 7000 }, models: { a: { priority: 3, unload_delay_ms: 1000 } } }),
    );
    expect([s.modelPriority('a'), s.modelPriority('b')]).toEqual([3, 0]);
    expect([s.unloadDelayMs('a'), s.unloadDelayMs('b')]).toEqual([1000, 7000]);
  });
});
