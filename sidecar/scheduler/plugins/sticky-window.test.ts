import { describe, expect, it } from 'vitest';
import { probe, req, setup } from '../testing/fixtures.ts';
import { cycleFor, placementOf } from '../testing/cycle.ts';
import { stickyWindowFilter } from './sticky-window.ts';

// b1 holds one model; `a` ran there and its last request ended at t=1000.
function world(extra: { secondBackend?: boolean; priorities?: Record<string, number> } = {}) {
  const backends = [{ name: 'b1', models: ['a', 'b'], slots: 2, max_models: 1 }];
  if (extra.secondBackend) backends.push({ name: 'b2', models: ['a', 'b'], slots: 2, max_models: 1 });
  const models = Object.fromEntries(Object.entries(extra.priorities ?? {}).map(([m, priority]) => [m, { priority }]));
  const s = setup(backends, { scheduler: { unload_delay_ms: 5000 }, models });
  probe(s.store, 'b1', { a: 'warm' }, 0);
  s.store.acquire('b1', 'a', 500);
  s.store.release('b1', 'a', 1000);
  return s;
}

describe('sticky-window filter', () => {
  it('keeps another model off the backend until the unload delay has passed', () => {
    const { policy, store } = world();
    const p = placementOf(req('b'));
    let c = cycleFor(policy, store, 3000);
    expect(stickyWindowFilter.check(p, c.backend('b1')!, c)).toEqual({ ok: false, reason: 'a keeps it for 3000 ms more (unload delay)' });
    c = cycleFor(policy, store, 6000);
    expect(stickyWindowFilter.check(p, c.backend('b1')!, c).ok).toBe(true);
  });

  it('does not stop the sticky model itself', () => {
    const { policy, store } = world();
    const c = cycleFor(policy, store, 2000);
    expect(stickyWindowFilter.check(placementOf(req('a')), c.backend('b1')!, c).ok).toBe(true);
  });

  it('yields to a strictly higher model priority only', () => {
    const higher = world({ priorities: { b: 5, a: 1 } });
    let c = cycleFor(higher.policy, higher.store, 2000);
    expect(stickyWindowFilter.check(placementOf(req('b'), { modelPriority: 5 }), c.backend('b1')!, c).ok).toBe(true);
    const equal = world({ priorities: { b: 1, a: 1 } });
    c = cycleFor(equal.policy, equal.store, 2000);
    expect(stickyWindowFilter.check(placementOf(req('b'), { modelPriority: 1 }), c.backend('b1')!, c).ok).toBe(false);
  });

  it('yields to a starving request, a strategy waiver and a drain decided for this model', () => {
    const { policy, store } = world();
    const p = placementOf(req('b'));
    let c = cycleFor(policy, store, 2000);
    expect(stickyWindowFilter.check({ ...p, starving: true }, c.backend('b1')!, c).ok).toBe(true);
    expect(stickyWindowFilter.check({ ...p, waivesStickyWindows: true }, c.backend('b1')!, c).ok).toBe(true);
    c = cycleFor(policy, store, 2000, { previousHolds: [{ backend: 'b1', model: 'b', requestId: 'x', rank: 0, why: 'drain' }] });
    expect(stickyWindowFilter.check(p, c.backend('b1')!, c).ok).toBe(true);
  });

  it('guards only the last warm copy: a model warm elsewhere has somewhere to go', () => {
    const { policy, store } = world({ secondBackend: true });
    probe(store, 'b2', { a: 'warm' }, 1500);
    const c = cycleFor(policy, store, 2000);
    expect(stickyWindowFilter.check(placementOf(req('b')), c.backend('b1')!, c).ok).toBe(true);
  });

  it('does not apply to a model never used through this sidecar', () => {
    const { policy, store } = setup([{ name: 'b1', models: ['a', 'b'], max_models: 1 }]);
    probe(store, 'b1', { a: 'warm' }, 0);
    const c = cycleFor(policy, store, 10);
    expect(stickyWindowFilter.check(placementOf(req('b')), c.backend('b1')!, c).ok).toBe(true);
  });
});
