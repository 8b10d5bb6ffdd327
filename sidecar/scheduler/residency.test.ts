import { describe, expect, it } from 'vitest';
import { probe, setup } from './testing/fixtures.ts';
import { believedState, fitOf, residencyOf, stickyUntil } from './residency.ts';

function viewOf(store: ReturnType<typeof setup>['store'], name: string) {
  return store.views().find((v) => v.name === name)!;
}

describe('residency', () => {
  it('trusts running models first, then the most recently used, up to max models', () => {
    const { store } = setup([{ name: 'b1', models: ['a', 'b', 'c'], max_models: 2 }]);
    probe(store, 'b1', { a: 'warm', b: 'warm' }, 0);
    store.acquire('b1', 'a', 10);
    store.release('b1', 'a', 20);
    store.acquire('b1', 'b', 30);
    store.release('b1', 'b', 40);
    // We send c: the server unloads its LRU idle model (a), though the probe still lists it.
    store.acquire('b1', 'c', 50);
    const view = viewOf(store, 'b1');
    const r = residencyOf(view);
    expect(r.held).toEqual(['c', 'b']);
    expect(believedState(view, r, 'a')).toBe('cold');
    expect(believedState(view, r, 'c')).toBe('loading');
    expect(believedState(view, r, 'b')).toBe('warm');
  });

  it('fits a held model, a new one under max models, evicts the least recent idle one, refuses when all run', () => {
    const { store } = setup([{ name: 'b1', models: ['a', 'b', 'c'], max_models: 2 }]);
    probe(store, 'b1', { a: 'warm' }, 0);
    let view = viewOf(store, 'b1');
    expect(fitOf(view, residencyOf(view), 'a')).toEqual({ kind: 'resident' });
    expect(fitOf(view, residencyOf(view), 'b')).toEqual({ kind: 'room' });
    probe(store, 'b1', { a: 'warm', b: 'warm' }, 1);
    store.acquire('b1', 'a', 2);
    view = viewOf(store, 'b1');
    expect(fitOf(view, residencyOf(view), 'c')).toEqual({ kind: 'evict', victim: 'b' });
    store.acquire('b1', 'b', 3);
    view = viewOf(store, 'b1');
    expect(fitOf(view, residencyOf(view), 'c')).toEqual({ kind: 'full', busy: ['b', 'a'] });
  });

  it('has a sticky window only after a request of ours ended, for the unload delay', () => {
    const { store } = setup([{ name: 'b1', models: ['a'] }]);
    probe(store, 'b1', { a: 'warm' }, 0);
    let view = viewOf(store, 'b1');
    expect(stickyUntil(view, residencyOf(view), 'a', 5000, 1)).toBeUndefined();
    store.acquire('b1', 'a', 100);
    view = viewOf(store, 'b1');
    expect(stickyUntil(view, residencyOf(view), 'a', 5000, 200)).toBeUndefined(); // running
    store.release('b1', 'a', 1000);
    view = viewOf(store, 'b1');
    expect(stickyUntil(view, residencyOf(view), 'a', 5000, 2000)).toBe(6000);
    expect(stickyUntil(view, residencyOf(view), 'a', 5000, 6000)).toBeUndefined();
    expect(stickyUntil(view, residencyOf(view), 'a', 0, 2000)).toBeUndefined();
  });
});
