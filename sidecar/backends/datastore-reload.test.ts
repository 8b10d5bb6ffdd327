import { describe, expect, it } from 'vitest';
import { Datastore } from './datastore.ts';
import { Policy } from '../policy/schema.ts';
import type { BackendSnapshot } from './snapshot.ts';
import { createScheduler } from '../scheduler/index.ts';

const snap = (models: BackendSnapshot['models']): BackendSnapshot => ({ healthy: true, models, knowsLoaded: true, loading: false });
const A = 'http://10.0.0.1:8080';
const B = 'http://10.0.0.2:8080';
const before = Policy.parse({
  backends: [
    { name: 'a', url: A, models: ['m1', 'm2'] },
    { name: 'b', url: B, models: ['m3'] },
  ],
});
const moved = Policy.parse({
  backends: [
    { name: 'a', url: A, models: ['m2'] },
    { name: 'b', url: B, models: ['m1', 'm3'] },
  ],
});

/** a has m1 and m2 warm (probed), b has nothing loaded. */
function warmStore(): Datastore {
  const s = new Datastore(before);
  s.applyProbe('a', { ok: true, snapshot: snap([{ id: 'm1', state: 'warm' }, { id: 'm2', state: 'warm' }]) }, 0);
  s.applyProbe('b', { ok: true, snapshot: snap([]) }, 0);
  return s;
}

describe('Datastore across a reload that moves a model', () => {
  it('forgets a model on the backend that no longer lists it, keeps the rest', () => {
    const s = warmStore();
    s.setBackends(moved);
    expect(s.candidatesFor('m1')).toEqual(['b']);
    const a = s.views().find((v) => v.name === 'a')!;
    expect(a.models.has('m1')).toBe(false);
    expect(a.models.get('m2')?.state).toBe('warm');
    expect(s.views().find((v) => v.name === 'b')!.models.get('m1')?.state).toBe('cold');
    // The next probe of a (which still has m1 loaded) does not bring it back.
    s.applyProbe('a', { ok: true, snapshot: snap([{ id: 'm1', state: 'warm' }, { id: 'm2', state: 'warm' }]) }, 10);
    expect(s.candidatesFor('m1')).toEqual(['b']);
  });

  it("the scheduler sends the moved model's next request to its new backend, though the old copy is warm", () => {
    const s = warmStore();
    const sched = createScheduler(before, s);
    const first = sched.submit({ id: 'r1', model: 'm1', promptBytes: 10, stream: false }, 1);
    expect(first).toMatchObject([{ type: 'dispatch', record: { backend: 'a' } }]);
    sched.complete('r1', 2, { ok: true, durationMs: 1 });
    s.setBackends(moved);
    sched.setPolicy(moved);
    const next = sched.submit({ id: 'r2', model: 'm1', promptBytes: 10, stream: false }, 3);
    expect(next).toMatchObject([{ type: 'dispatch', record: { backend: 'b' } }]);
  });

  it('a request running for the moved model on the old backend is still released there', () => {
    const s = warmStore();
    s.acquire('a', 'm1', 1);
    s.setBackends(moved);
    expect(s.views().find((v) => v.name === 'a')!.inFlight).toBe(1);
    s.release('a', 'm1', 2);
    expect(s.totalInFlight()).toBe(0);
    expect(s.releaseUnderflows).toBe(0);
  });

  it('an alias that now names another server-side model starts cold; a new URL forgets what was probed', () => {
    const s = new Datastore(Policy.parse({ backends: [{ name: 'a', url: A, models: ['coder'], aliases: { coder: 'q-7b' } }] }));
    s.applyProbe('a', { ok: true, snapshot: snap([{ id: 'q-7b', state: 'warm' }]) }, 0);
    s.setBackends(Policy.parse({ backends: [{ name: 'a', url: A, models: ['coder'], aliases: { coder: 'q-32b' } }] }));
    expect(s.views()[0]!.models.get('coder')).toMatchObject({ backendId: 'q-32b', state: 'cold' });
    s.applyProbe('a', { ok: true, snapshot: snap([{ id: 'q-32b', state: 'warm' }]) }, 1);
    s.markRequestFailure('a', 2, 'HTTP 502');
    s.setBackends(Policy.parse({ backends: [{ name: 'a', url: B, models: ['coder'], aliases: { coder: 'q-32b' } }] }));
    expect(s.views()[0]).toMatchObject({ healthy: true });
    expect(s.views()[0]!.models.get('coder')?.state).toBe('cold');
  });

  it('a backend removed and added back while draining keeps one in-flight count', () => {
    const s = warmStore();
    s.acquire('b', 'm3', 1);
    s.setBackends(Policy.parse({ backends: [{ name: 'a', url: A, models: ['m1'] }] }));
    s.setBackends(before);
    expect(s.totalInFlight()).toBe(1);
    s.release('b', 'm3', 2);
    expect(s.totalInFlight()).toBe(0);
    expect(s.releaseUnderflows).toBe(0);
  });
});
