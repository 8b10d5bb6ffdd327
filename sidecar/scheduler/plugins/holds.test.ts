import { describe, expect, it } from 'vitest';
import { evaluate } from '../framework.ts';
import { req, setup } from '../testing/fixtures.ts';
import { cycleFor, placementOf } from '../testing/cycle.ts';
import { freeSlotFilter } from './free-slot.ts';
import { anyOtherBackend, drainHold, holdsFilter, somewhereToGoNow, starvationHold } from './holds.ts';
import { modelCapacityFilter } from './model-capacity.ts';
import { servesModelFilter } from './serves-model.ts';

const capacity = [servesModelFilter, freeSlotFilter, modelCapacityFilter];

describe('holds filter', () => {
  it("keeps other models' later requests off a held backend; the held model and earlier requests pass", () => {
    const { policy, store } = setup([{ name: 'b1', models: ['a', 'b'] }]);
    const c = cycleFor(policy, store, 0);
    c.addHold({ backend: 'b1', model: 'b', requestId: 'x', rank: 1, why: 'drain' });
    const b1 = c.backend('b1')!;
    expect(holdsFilter.check(placementOf(req('a'), { rank: 2 }), b1, c)).toEqual({ ok: false, reason: 'held for b (draining for a cold model)' });
    expect(holdsFilter.check(placementOf(req('b'), { rank: 2 }), b1, c).ok).toBe(true);
    expect(holdsFilter.check(placementOf(req('a'), { rank: 0 }), b1, c).ok).toBe(true);
  });
});

describe('drain reservation (llamacpp-ha rule)', () => {
  it('holds the backend with the most free slots that refuses the cold model only because its models are running', () => {
    const { policy, store } = setup([
      { name: 'b1', models: ['m1', 'm2'], slots: 3, max_models: 1 },
      { name: 'b2', models: ['m1', 'm2'], slots: 2, max_models: 1 },
    ]);
    store.acquire('b1', 'm1', 0);
    store.acquire('b2', 'm1', 0);
    const c = cycleFor(policy, store, 1);
    const ev = evaluate(capacity, placementOf(req('m2'), { diversity: true }), c);
    expect(ev.options).toEqual([]);
    expect(drainHold(ev, c, anyOtherBackend)).toBe('b1');
    expect(drainHold(ev, c, somewhereToGoNow)).toBe('b1'); // m1 is warm on b2 too
  });

  it('does not drain the only backend a running model can use', () => {
    const { policy, store } = setup([
      { name: 'b1', models: ['m1', 'm2'], slots: 2, max_models: 1 },
      { name: 'b2', models: ['m2'], slots: 2, max_models: 1 },
    ]);
    store.acquire('b1', 'm1', 0);
    store.acquire('b2', 'm2', 0);
    store.acquire('b2', 'm2', 0);
    const c = cycleFor(policy, store, 1);
    const ev = evaluate(capacity, placementOf(req('m2')), c);
    // b1 refuses m2 only for max models, but m1 has nowhere else to go.
    expect(drainHold(ev, c, anyOtherBackend)).toBeUndefined();
  });

  it('does not hold a backend with no free slot', () => {
    const { policy, store } = setup([
      { name: 'b1', models: ['m1', 'm2'], slots: 1, max_models: 1 },
      { name: 'b2', models: ['m1', 'm2'], slots: 1, max_models: 1 },
    ]);
    store.acquire('b1', 'm1', 0);
    store.acquire('b2', 'm1', 0);
    const c = cycleFor(policy, store, 1);
    expect(drainHold(evaluate(capacity, placementOf(req('m2')), c), c, anyOtherBackend)).toBeUndefined();
  });
});

describe('starvation hold', () => {
  it('claims the backend with the fewest requests running, among those refusing only for capacity', () => {
    const { policy, store } = setup([
      { name: 'b1', models: ['m1', 'm2'], slots: 2, max_models: 1 },
      { name: 'b2', models: ['m1', 'm2'], slots: 2, max_models: 1 },
      { name: 'b3', models: ['m1'], slots: 2, max_models: 1 },
    ]);
    store.acquire('b1', 'm1', 0);
    store.acquire('b1', 'm1', 0);
    store.acquire('b2', 'm1', 0);
    const c = cycleFor(policy, store, 1);
    const ev = evaluate(capacity, placementOf(req('m2'), { starving: true }), c);
    expect(starvationHold(ev)).toBe('b2');
  });
});
