import { describe, expect, it } from 'vitest';
import { req, setup } from '../testing/fixtures.ts';
import { cycleFor, placementOf } from '../testing/cycle.ts';
import { loadsOnDemandFilter } from './loads-on-demand.ts';

function router(models: Record<string, 'warm' | 'loading' | 'cold'>, loadsOnDemand: boolean) {
  const s = setup([{ name: 'b1', models: ['a', 'b', 'c'] }]);
  s.store.applyProbe(
    'b1',
    { ok: true, snapshot: { healthy: true, knowsLoaded: true, loading: false, loadsOnDemand, models: Object.entries(models).map(([id, state]) => ({ id, state })) } },
    0,
  );
  const c = cycleFor(s.policy, s.store, 1);
  return (model: string) => loadsOnDemandFilter.check(placementOf(req(model)), c.backend('b1')!, c);
}

describe('loads-on-demand filter', () => {
  it('admits only models the server holds when it does not load on demand', () => {
    const check = router({ a: 'warm', b: 'loading', c: 'cold' }, false);
    expect(check('a').ok).toBe(true);
    expect(check('b').ok).toBe(true);
    expect(check('c')).toEqual({ ok: false, reason: 'does not hold c and does not load models on demand' });
  });

  it('admits a cold model on a server that loads on demand', () => {
    expect(router({ a: 'warm', c: 'cold' }, true)('c').ok).toBe(true);
  });
});
