import { describe, expect, it } from 'vitest';
import { req, setup } from '../testing/fixtures.ts';
import { cycleFor, placementOf } from '../testing/cycle.ts';
import { servesModelFilter } from './serves-model.ts';

describe('serves-model filter', () => {
  it('admits only backends that list the model', () => {
    const { policy, store } = setup([
      { name: 'b1', models: ['a'] },
      { name: 'b2', models: ['b'] },
    ]);
    const cycle = cycleFor(policy, store, 0);
    const p = placementOf(req('a'));
    expect(servesModelFilter.check(p, cycle.backend('b1')!, cycle).ok).toBe(true);
    expect(servesModelFilter.check(p, cycle.backend('b2')!, cycle)).toEqual({ ok: false, reason: 'does not serve a' });
  });
});
