// Probes race the sidecar's own observations: a probe that started before a
// dispatch (or before a first response) lands after it, and a server may not
// report a load it was just asked for. Neither may undo what the sidecar saw,
// while genuine unloads (seen by a probe taken later) still count.
import { describe, expect, it } from 'vitest';
import { Datastore } from './datastore.ts';
import { Policy } from '../policy/schema.ts';
import type { BackendSnapshot } from './snapshot.ts';

const store = () =>
  new Datastore(Policy.parse({ backends: [{ name: 'a', url: 'http://10.0.0.1:8080', models: ['m1', 'm2', 'm3'], max_models: 2 }] }));
const snap = (models: BackendSnapshot['models'], more: Partial<BackendSnapshot> = {}): BackendSnapshot => ({ healthy: true, models, knowsLoaded: true, loading: false, ...more });
const probe = (s: Datastore, models: BackendSnapshot['models'], now: number, takenAt: number) => s.applyProbe('a', { ok: true, snapshot: snap(models) }, now, takenAt);
const model = (s: Datastore, name: string) => s.views()[0]!.models.get(name)!;

describe('Datastore: probes older than what the sidecar saw', () => {
  it('a probe started before a dispatch does not turn the load it started back to cold', () => {
    const s = store();
    s.acquire('a', 'm1', 100);
    expect(probe(s, [], 150, 90)).toEqual([]);
    expect(model(s, 'm1')).toMatchObject({ state: 'loading', loadStartedAt: 100 });
  });

  it('a probe started before the first response does not turn warm back to loading', () => {
    const s = store();
    s.acquire('a', 'm1', 100);
    expect(probe(s, [{ id: 'm1', state: 'loading' }], 200, 150)).toEqual([]);
    s.observeFirstByte('a', 'm1', 300);
    expect(probe(s, [{ id: 'm1', state: 'loading' }], 320, 250)).toEqual([]);
    expect(model(s, 'm1').state).toBe('warm');
  });

  it('a probe started before the sidecar predicted an eviction does not bring the evicted model back', () => {
    const s = store();
    probe(s, [{ id: 'm1', state: 'warm' }, { id: 'm2', state: 'warm' }], 0, 0);
    s.acquire('a', 'm3', 100); // m1 and m2 idle: m1 (least recently used, tie → first) makes room
    expect(model(s, 'm1').state).toBe('cold');
    probe(s, [{ id: 'm1', state: 'warm' }, { id: 'm2', state: 'warm' }], 150, 90);
    expect(model(s, 'm1').state).toBe('cold');
    expect(model(s, 'm3').state).toBe('loading');
  });
});

describe('Datastore: a server that does not report a load yet', () => {
  it('keeps a load the sidecar started while its requests for the model are in flight there', () => {
    const s = store();
    s.acquire('a', 'm1', 100);
    expect(probe(s, [], 400, 300)).toEqual([]);
    expect(probe(s, [{ id: 'm1', state: 'cold' }], 5_000, 4_900)).toEqual([]);
    expect(model(s, 'm1')).toMatchObject({ state: 'loading', loadStartedAt: 100 });
    // The server catches up: its report of the load is progress, not a new load.
    expect(probe(s, [{ id: 'm1', state: 'loading' }], 5_200, 5_100)).toEqual([]);
    expect(model(s, 'm1').loadStartedAt).toBe(100);
    expect(probe(s, [{ id: 'm1', state: 'warm' }], 6_100, 6_000)).toEqual([{ backend: 'a', kind: 'model', model: 'm1', from: 'loading', to: 'warm', loadMs: 6_000 }]);
  });

  it('after its requests ended unanswered, keeps the load for twice the learned load time, then believes the server', () => {
    const s = store();
    // Learn a 1 s load time on m1, then see it unloaded.
    s.acquire('a', 'm1', 0);
    s.observeFirstByte('a', 'm1', 1_000);
    s.release('a', 'm1', 1_100);
    probe(s, [], 5_000, 4_900);
    expect(model(s, 'm1')).toMatchObject({ state: 'cold', loadMs: 1_000 });
    // A new load whose only request is aborted before any answer.
    s.acquire('a', 'm1', 10_000);
    s.release('a', 'm1', 10_100);
    expect(probe(s, [], 11_500, 11_400)).toEqual([]);
    expect(model(s, 'm1').state).toBe('loading');
    expect(probe(s, [], 12_500, 12_400)).toEqual([{ backend: 'a', kind: 'model', model: 'm1', from: 'loading', to: 'cold' }]);
  });

  it('with nothing in flight and no learned load time, a cold report is believed', () => {
    const s = store();
    s.acquire('a', 'm1', 0);
    s.release('a', 'm1', 50); // aborted before any answer
    expect(probe(s, [], 200, 100)).toEqual([{ backend: 'a', kind: 'model', model: 'm1', from: 'loading', to: 'cold' }]);
    expect(model(s, 'm1').loadStartedAt).toBeUndefined();
  });

  it('a cold report after the server itself reported the load is believed (the load failed or was undone)', () => {
    const s = store();
    s.acquire('a', 'm1', 0);
    probe(s, [{ id: 'm1', state: 'loading' }], 200, 100);
    expect(probe(s, [], 400, 300)).toEqual([{ backend: 'a', kind: 'model', model: 'm1', from: 'loading', to: 'cold' }]);
  });

  it('a genuine unload (seen by a probe started after the load finished) still counts', () => {
    const s = store();
    s.acquire('a', 'm1', 0);
    s.observeFirstByte('a', 'm1', 500);
    s.release('a', 'm1', 600);
    expect(probe(s, [], 2_000, 1_900)).toEqual([{ backend: 'a', kind: 'model', model: 'm1', from: 'warm', to: 'cold' }]);
  });
});

describe('Datastore: request failures and probe age', () => {
  it('a probe started before a request failed does not clear it; one started after does', () => {
    const s = store();
    s.markRequestFailure('a', 100, 'HTTP 502');
    probe(s, [], 150, 90);
    expect(s.views()[0]!.healthy).toBe(false);
    expect(probe(s, [], 300, 200)[0]).toEqual({ backend: 'a', kind: 'health', from: 'down', to: 'up' });
  });
});
