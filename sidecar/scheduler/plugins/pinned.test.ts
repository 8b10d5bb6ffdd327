import { describe, expect, it } from 'vitest';
import { req, setup } from '../testing/fixtures.ts';
import { cycleFor, placementOf } from '../testing/cycle.ts';
import { pinnedFilter } from './pinned.ts';

describe('pinned filter', () => {
  const { policy, store } = setup([
    { name: 'b1', models: ['a'] },
    { name: 'b2', models: ['a'] },
  ]);
  const cycle = cycleFor(policy, store, 0);

  it('admits every backend when the request is not pinned', () => {
    const p = placementOf(req('a'));
    expect(cycle.backends().map((b) => pinnedFilter.check(p, b, cycle).ok)).toEqual([true, true]);
  });

  it('admits only the pinned backend', () => {
    const p = placementOf(req('a', { pinnedBackend: 'b2' }));
    expect(pinnedFilter.check(p, cycle.backend('b1')!, cycle)).toEqual({ ok: false, reason: 'request is pinned to b2' });
    expect(pinnedFilter.check(p, cycle.backend('b2')!, cycle).ok).toBe(true);
  });

  it("admits only the backends in an endpoint picker's subset", () => {
    const p = placementOf(req('a', { allowedBackends: ['b2'] }));
    expect(pinnedFilter.check(p, cycle.backend('b1')!, cycle)).toEqual({ ok: false, reason: "outside the gateway's endpoint subset" });
    expect(pinnedFilter.check(p, cycle.backend('b2')!, cycle).ok).toBe(true);
  });
});
