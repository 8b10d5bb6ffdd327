import { describe, expect, it } from 'vitest';
import { probe, req, setup } from '../testing/fixtures.ts';
import { cycleFor, placementOf } from '../testing/cycle.ts';
import { modelCapacityFilter } from './model-capacity.ts';

describe('model-capacity filter', () => {
  it('lets a new model unload an idle one, never one with requests in flight', () => {
    const { policy, store } = setup([{ name: 'b1', models: ['a', 'b'], slots: 4, max_models: 1 }]);
    probe(store, 'b1', { a: 'warm' }, 0);
    const pb = placementOf(req('b'));
    let c = cycleFor(policy, store, 1);
    expect(modelCapacityFilter.check(pb, c.backend('b1')!, c).ok).toBe(true);
    expect(c.backend('b1')!.fitOf('b')).toEqual({ kind: 'evict', victim: 'a' });
    store.acquire('b1', 'a', 2);
    c = cycleFor(policy, store, 3);
    expect(modelCapacityFilter.check(pb, c.backend('b1')!, c)).toEqual({ ok: false, reason: 'holds 1 model(s), all running: a' });
    // The model it holds is always admissible (slots are another filter's business).
    expect(modelCapacityFilter.check(placementOf(req('a')), c.backend('b1')!, c).ok).toBe(true);
  });

  it('fits beside what is held while under max models, and always when unlimited', () => {
    const { policy, store } = setup([
      { name: 'b1', models: ['a', 'b', 'c'], max_models: 2 },
      { name: 'b2', models: ['a', 'b', 'c'] },
    ]);
    probe(store, 'b1', { a: 'warm' }, 0);
    probe(store, 'b2', { a: 'warm', b: 'warm' }, 0);
    store.acquire('b1', 'a', 1);
    store.acquire('b2', 'a', 1);
    store.acquire('b2', 'b', 1);
    const c = cycleFor(policy, store, 2);
    expect(c.backend('b1')!.fitOf('b')).toEqual({ kind: 'room' });
    expect(c.backend('b2')!.fitOf('c')).toEqual({ kind: 'room' });
    expect(modelCapacityFilter.check(placementOf(req('c')), c.backend('b2')!, c).ok).toBe(true);
  });
});
