import { describe, expect, it } from 'vitest';
import { Datastore } from './datastore.ts';
import { Policy } from '../policy/schema.ts';
import type { BackendSnapshot } from './snapshot.ts';
import { MEAN_LOAD_TIME_CONSTANT_MS, meanLoadAt } from '../scheduler/mean-load.ts';
import { releasedView } from '../scheduler/accounting.ts';

const policy = (extra: Partial<Record<string, unknown>> = {}) =>
  Policy.parse({
    backends: [
      { name: 'a', url: 'http://10.0.0.1:8080', models: ['m1', 'coder'], aliases: { coder: 'qwen3-coder-30b-q4' } },
      { name: 'b', url: 'http://box.local:11434', kind: 'ollama' },
    ],
    ...extra,
  });
const snap = (models: BackendSnapshot['models'], more: Partial<BackendSnapshot> = {}): BackendSnapshot => ({ healthy: true, models, knowsLoaded: true, loading: false, ...more });

describe('Datastore', () => {
  it("averages each backend's load over time, ours and other clients' (what session affinity bounds), and the staged views agree", () => {
    const s = new Datastore(policy());
    const mean = (now: number) => meanLoadAt(s.views().find((v) => v.name === 'a')!.meanLoad, now);
    s.acquire('a', 'm1', 0);
    s.acquire('a', 'm1', 0);
    expect(mean(MEAN_LOAD_TIME_CONSTANT_MS)).toBeCloseTo(2 * (1 - Math.exp(-1)), 9);
    // The staged view after a release (accounting.ts) matches the store after the same release.
    const staged = releasedView(s.views().find((v) => v.name === 'a')!, 'm1', MEAN_LOAD_TIME_CONSTANT_MS);
    s.release('a', 'm1', MEAN_LOAD_TIME_CONSTANT_MS);
    expect(meanLoadAt(staged.meanLoad, 3 * MEAN_LOAD_TIME_CONSTANT_MS)).toBeCloseTo(mean(3 * MEAN_LOAD_TIME_CONSTANT_MS), 9);
    // Another client's three requests, as the server reports them, count too.
    s.applyProbe('a', { ok: true, snapshot: snap([{ id: 'm1', state: 'warm' }], { inFlight: 4 }) }, 100 * MEAN_LOAD_TIME_CONSTANT_MS);
    expect(mean(200 * MEAN_LOAD_TIME_CONSTANT_MS)).toBeCloseTo(4, 6);
  });

  it('maps backend ids through aliases and ignores models a listing backend does not list (allowlist)', () => {
    const s = new Datastore(policy());
    s.applyProbe('a', { ok: true, snapshot: snap([{ id: 'qwen3-coder-30b-q4', state: 'warm' }, { id: 'secret-model', state: 'warm' }]) }, 0);
    const a = s.views().find((v) => v.name === 'a')!;
    expect(a.models.get('coder')).toMatchObject({ backendId: 'qwen3-coder-30b-q4', state: 'warm' });
    expect(a.models.get('m1')?.state).toBe('cold');
    expect(a.models.has('secret-model')).toBe(false);
    expect(s.isKnownModel('secret-model')).toBe(false);
  });

  it('a backend that lists no models serves what its probe discovers', () => {
    const s = new Datastore(policy());
    expect(s.candidatesFor('llama3.2:3b')).toEqual([]);
    s.applyProbe('b', { ok: true, snapshot: snap([{ id: 'llama3.2:3b', state: 'cold' }]) }, 0);
    expect(s.candidatesFor('llama3.2:3b')).toEqual(['b']);
    expect(s.modelCatalog().map((m) => m.model)).toContain('llama3.2:3b');
  });

  it('reports each transition once and learns how long a load took', () => {
    const s = new Datastore(policy());
    expect(s.applyProbe('a', { ok: true, snapshot: snap([{ id: 'm1', state: 'loading' }]) }, 1000)).toEqual([
      { backend: 'a', kind: 'model', model: 'm1', from: 'cold', to: 'loading' },
    ]);
    expect(s.applyProbe('a', { ok: true, snapshot: snap([{ id: 'm1', state: 'loading' }]) }, 2000)).toEqual([]);
    const t = s.applyProbe('a', { ok: true, snapshot: snap([{ id: 'm1', state: 'warm' }]) }, 4000);
    expect(t).toEqual([{ backend: 'a', kind: 'model', model: 'm1', from: 'loading', to: 'warm', loadMs: 3000 }]);
    expect(s.views()[0]!.models.get('m1')!.loadMs).toBe(3000);
  });

  it('a request failure marks the backend down until a successful probe', () => {
    const s = new Datastore(policy());
    expect(s.markRequestFailure('a', 10, 'HTTP 502')).toEqual([{ backend: 'a', kind: 'health', from: 'up', to: 'down' }]);
    expect(s.views()[0]!.healthy).toBe(false);
    expect(s.applyProbe('a', { ok: false, error: 'refused' }, 20)).toEqual([]);
    expect(s.views()[0]!.healthy).toBe(false);
    expect(s.applyProbe('a', { ok: true, snapshot: snap([]) }, 30)[0]).toEqual({ backend: 'a', kind: 'health', from: 'down', to: 'up' });
    expect(s.views()[0]!.healthy).toBe(true);
  });

  it('counts its own in-flight requests; a request to a cold model starts a load; first byte makes it warm', () => {
    const s = new Datastore(policy());
    s.acquire('a', 'm1', 100);
    let a = s.views()[0]!;
    expect(a.inFlight).toBe(1);
    expect(a.models.get('m1')!.state).toBe('loading');
    expect(s.observeFirstByte('a', 'm1', 600)[0]).toMatchObject({ to: 'warm', loadMs: 500 });
    s.release('a', 'm1', 700);
    a = s.views()[0]!;
    expect(a.inFlight).toBe(0);
    expect(a.inFlightByModel.size).toBe(0);
    expect(s.totalInFlight()).toBe(0);
  });

  it('a server that cannot tell what is loaded does not undo what the sidecar saw', () => {
    const s = new Datastore(policy());
    s.acquire('b', 'x', 0);
    s.applyProbe('b', { ok: true, snapshot: snap([{ id: 'x', state: 'cold' }], { knowsLoaded: false }) }, 1);
    s.observeFirstByte('b', 'x', 2);
    s.applyProbe('b', { ok: true, snapshot: snap([{ id: 'x', state: 'cold' }, { id: 'y', state: 'cold' }], { knowsLoaded: false }) }, 3);
    const b = s.views().find((v) => v.name === 'b')!;
    expect(b.models.get('x')!.state).toBe('warm');
    expect(b.models.get('y')!.state).toBe('cold');
  });

  it('a policy reload keeps accounting for backends that stay and drains removed ones', () => {
    const s = new Datastore(policy());
    s.acquire('a', 'm1', 0);
    s.acquire('b', 'z', 0);
    s.setBackends(Policy.parse({ backends: [{ name: 'a', url: 'http://10.0.0.1:8080', models: ['m1'] }] }));
    expect(s.views().map((v) => v.name)).toEqual(['a']);
    expect(s.totalInFlight()).toBe(2);
    s.release('b', 'z', 1);
    s.release('a', 'm1', 1);
    expect(s.totalInFlight()).toBe(0);
  });

  it('resolves addresses: stored ip:port wins, else the URL host', () => {
    const s = new Datastore(policy());
    expect(s.address('a')).toBe('10.0.0.1:8080');
    expect(s.address('b')).toBe('box.local:11434');
    s.setAddress('b', '192.168.1.9:11434');
    expect(s.address('b')).toBe('192.168.1.9:11434');
  });
});

describe('Datastore model limits', () => {
  it('loading a model on a backend at max_models marks its least recently used idle model cold', () => {
    const s = new Datastore(Policy.parse({ backends: [{ name: 'g', url: 'http://10.0.0.2:1', models: ['x', 'y', 'z'], max_models: 2 }] }));
    s.applyProbe('g', { ok: true, snapshot: snap([{ id: 'x', state: 'warm' }, { id: 'y', state: 'warm' }]) }, 0);
    s.acquire('g', 'x', 10);
    s.release('g', 'x', 20);
    s.acquire('g', 'y', 30); // y stays busy
    s.acquire('g', 'z', 40);
    const m = s.views()[0]!.models;
    expect([m.get('x')!.state, m.get('y')!.state, m.get('z')!.state]).toEqual(['cold', 'warm', 'loading']);
    expect(m.get('z')!.loadStartedAt).toBe(40);
  });

  it('counts a release without an acquire', () => {
    const s = new Datastore(policy());
    s.acquire('a', 'm1', 0);
    s.release('a', 'm1', 1);
    expect(s.releaseUnderflows).toBe(0);
    s.release('a', 'm1', 2);
    expect(s.releaseUnderflows).toBe(1);
  });
});

describe('Datastore addresses across reloads', () => {
  it('forgets a resolved address when the backend URL changes', () => {
    const s = new Datastore(Policy.parse({ backends: [{ name: 'a', url: 'http://host-one:8080' }] }));
    s.setAddress('a', '10.0.0.1:8080');
    s.setBackends(Policy.parse({ backends: [{ name: 'a', url: 'http://host-one:8080', models: ['x'] }] }));
    expect(s.address('a')).toBe('10.0.0.1:8080');
    s.setBackends(Policy.parse({ backends: [{ name: 'a', url: 'http://10.0.0.2:9090' }] }));
    expect(s.address('a')).toBe('10.0.0.2:9090');
  });
});
