import { describe, expect, it } from 'vitest';
import { down, probe, req, setup } from '../testing/fixtures.ts';
import { cycleFor, placementOf } from '../testing/cycle.ts';
import { singleLoadFilter } from './single-load.ts';

describe('single-load filter', () => {
  it('refuses to start a second load of a model that is loading elsewhere, and lets requests join the load', () => {
    const { policy, store } = setup([
      { name: 'b1', models: ['a'] },
      { name: 'b2', models: ['a'] },
    ]);
    store.acquire('b1', 'a', 0); // cold → loading on b1
    const c = cycleFor(policy, store, 1);
    const p = placementOf(req('a'));
    expect(singleLoadFilter.check(p, c.backend('b1')!, c).ok).toBe(true);
    expect(singleLoadFilter.check(p, c.backend('b2')!, c)).toEqual({ ok: false, reason: 'a is loading on b1: join that load' });
  });

  it('ignores a load on an unhealthy backend, and does not restrict backends where the model is warm', () => {
    const { policy, store } = setup([
      { name: 'b1', models: ['a'] },
      { name: 'b2', models: ['a'] },
      { name: 'b3', models: ['a'] },
    ]);
    probe(store, 'b1', { a: 'loading' }, 0);
    probe(store, 'b3', { a: 'warm' }, 0);
    let c = cycleFor(policy, store, 1);
    expect(singleLoadFilter.check(placementOf(req('a')), c.backend('b3')!, c).ok).toBe(true);
    down(store, 'b1', 2);
    c = cycleFor(policy, store, 3);
    expect(singleLoadFilter.check(placementOf(req('a')), c.backend('b2')!, c).ok).toBe(true);
  });
});
