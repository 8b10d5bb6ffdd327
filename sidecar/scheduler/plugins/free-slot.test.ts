import { describe, expect, it } from 'vitest';
import { probe, req, setup } from '../testing/fixtures.ts';
import { cycleFor, placementOf } from '../testing/cycle.ts';
import { freeSlotFilter } from './free-slot.ts';

describe('free-slot filter', () => {
  const p = placementOf(req('a'));

  it('refuses a backend whose slots are all taken by our requests', () => {
    const { policy, store } = setup([{ name: 'b1', models: ['a'], slots: 2 }]);
    store.acquire('b1', 'a', 0);
    let c = cycleFor(policy, store, 1);
    expect(freeSlotFilter.check(p, c.backend('b1')!, c).ok).toBe(true);
    store.acquire('b1', 'a', 1);
    c = cycleFor(policy, store, 2);
    expect(freeSlotFilter.check(p, c.backend('b1')!, c)).toEqual({ ok: false, reason: 'no free slot (2/2 busy)' });
  });

  it("counts other clients' requests the server reports", () => {
    const { policy, store } = setup([{ name: 'b1', models: ['a'], slots: 4 }]);
    store.acquire('b1', 'a', 0);
    probe(store, 'b1', { a: 'warm' }, 1, { inFlight: 3 }); // ours 1 + 2 external
    let c = cycleFor(policy, store, 2);
    expect(c.backend('b1')!.freeSlots).toBe(1);
    expect(freeSlotFilter.check(p, c.backend('b1')!, c).ok).toBe(true);
    probe(store, 'b1', { a: 'warm' }, 3, { inFlight: 4 });
    c = cycleFor(policy, store, 4);
    expect(freeSlotFilter.check(p, c.backend('b1')!, c).ok).toBe(false);
  });
});
