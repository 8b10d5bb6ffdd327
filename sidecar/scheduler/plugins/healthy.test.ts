import { describe, expect, it } from 'vitest';
import { down, probe, req, setup } from '../testing/fixtures.ts';
import { cycleFor, placementOf } from '../testing/cycle.ts';
import { healthyFilter } from './healthy.ts';

describe('healthy filter', () => {
  it('admits a backend not probed yet, refuses one a probe found down, admits it again when a probe succeeds', () => {
    const { policy, store } = setup([{ name: 'b1', models: ['a'] }]);
    const p = placementOf(req('a'));
    const check = (now: number) => healthyFilter.check(p, cycleFor(policy, store, now).backend('b1')!, cycleFor(policy, store, now));
    expect(check(0)).toEqual({ ok: true });
    down(store, 'b1', 1);
    expect(check(2)).toEqual({ ok: false, reason: 'unhealthy' });
    probe(store, 'b1', { a: 'warm' }, 3);
    expect(check(4)).toEqual({ ok: true });
  });
});
