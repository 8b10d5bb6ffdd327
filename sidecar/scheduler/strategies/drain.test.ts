// llamacpp-ha's drain scenarios (1, 2 and 3 backends, and sustained load of
// one model with a second arriving), for warm-first and for the aging-bonus
// baseline that reimplements llamacpp-ha.
import { describe, expect, it } from 'vitest';
import type { Strategy } from '../../policy/schema.ts';
import { dispatchOf, placed, probe, req, setup, type BackendInput } from '../testing/fixtures.ts';
import { runTrace, type Arrival } from '../testing/trace.ts';
import { World } from '../testing/world.ts';

const both = ['m1', 'm2'];

function cluster(strategy: Strategy, backends: BackendInput[], unloadDelayMs = 60_000) {
  const s = setup(backends, { scheduler: { strategy, unload_delay_ms: unloadDelayMs, warm_bonus: 10 } });
  let n = 0;
  /** Run `count` requests for `model` on `backend` (pinned there), warm. */
  const occupy = (backend: string, model: string, count: number, now: number): string[] => {
    const ids: string[] = [];
    for (let i = 0; i < count; i++) {
      const id = `${backend}-${model}-${n++}`;
      expect(placed(s.sched.submit(req(model, { id, pinnedBackend: backend }), now)).get(id)).toBe(backend);
      ids.push(id);
    }
    probe(s.store, backend, { [model]: 'warm' }, now);
    return ids;
  };
  const done = (id: string, now: number) => s.sched.complete(id, now, { ok: true, durationMs: 1000 });
  return { ...s, occupy, done };
}

describe.each(['warm-first', 'aging-bonus'] as const)('%s: drain reservation', (strategy) => {
  it('1 backend: no reservation, the running model keeps being served while the cold one waits', () => {
    const c = cluster(strategy, [{ name: 'b1', models: both, slots: 2, max_models: 1 }]);
    c.occupy('b1', 'm1', 1, 0);
    expect(c.sched.submit(req('m2', { id: 'm2' }), 1)).toEqual([]);
    expect(placed(c.sched.submit(req('m1', { id: 'm1' }), 2)).get('m1')).toBe('b1');
    expect(c.sched.queueSnapshot(2)[0]!.holding).toBeUndefined();
  });

  it('2 backends: the warm model is redirected to its other backend while one drains, then the cold model loads there', () => {
    const c = cluster(strategy, [
      { name: 'b1', models: both, slots: 2, max_models: 1 },
      { name: 'b2', models: ['m1'], slots: 2, max_models: 1 },
    ]);
    const [running] = c.occupy('b1', 'm1', 1, 0);
    c.sched.submit(req('m2', { id: 'm2' }), 1);
    expect(placed(c.sched.submit(req('m1', { id: 'm1' }), 2)).get('m1')).toBe('b2');
    expect(c.sched.queueSnapshot(2)[0]).toMatchObject({ id: 'm2', holding: 'b1' });
    // When b1 drains, m2 takes it (its sticky window does not stand in the way of the drain).
    expect(dispatchOf(c.done(running!, 3), 'm2')?.record).toMatchObject({ backend: 'b1', evicts: 'm1' });
  });

  it('2 saturated backends, then a second model: it starts once one backend has drained', () => {
    const c = cluster(strategy, [
      { name: 'b1', models: both, slots: 2, max_models: 1 },
      { name: 'b2', models: both, slots: 2, max_models: 1 },
    ]);
    const [b1a, b1b] = c.occupy('b1', 'm1', 2, 0);
    const [b2a] = c.occupy('b2', 'm1', 2, 0);
    expect(c.sched.submit(req('m2', { id: 'm2' }), 1)).toEqual([]);
    // One slot frees on b1; b2 is still full, so m1 has nowhere to go right now.
    expect(c.done(b1a!, 2)).toEqual([]);
    expect(c.sched.queueSnapshot(2)[0]!.holding).toBe('b1');
    // A slot frees on b2: a new m1 request goes there, not to the b1 being drained.
    c.done(b2a!, 3);
    expect(placed(c.sched.submit(req('m1', { id: 'new-m1' }), 4)).get('new-m1')).toBe('b2');
    // b1's last m1 request ends: m2 loads there.
    expect(dispatchOf(c.done(b1b!, 5), 'm2')?.record).toMatchObject({ backend: 'b1', evicts: 'm1' });
  });

  it('reserves only the backend with the most free slots; the other keeps serving the warm model', () => {
    const c = cluster(strategy, [
      { name: 'b1', models: both, slots: 3, max_models: 1 },
      { name: 'b2', models: both, slots: 2, max_models: 1 },
    ]);
    c.occupy('b1', 'm1', 1, 0);
    c.occupy('b2', 'm1', 1, 0);
    c.sched.submit(req('m2', { id: 'm2' }), 1);
    expect(placed(c.sched.submit(req('m1', { id: 'm1' }), 2)).get('m1')).toBe('b2');
    expect(c.sched.queueSnapshot(2)[0]!.holding).toBe('b1');
  });

  it('3 backends all holding the warm model: the one drained is skipped, the others keep serving it', () => {
    const c = cluster(strategy, [
      { name: 'b1', models: both, slots: 2, max_models: 1 },
      { name: 'b2', models: both, slots: 2, max_models: 1 },
      { name: 'b3', models: both, slots: 2, max_models: 1 },
    ]);
    const [b1a] = c.occupy('b1', 'm1', 2, 0);
    c.occupy('b2', 'm1', 1, 0);
    c.occupy('b3', 'm1', 1, 0);
    c.sched.submit(req('m2', { id: 'm2' }), 1);
    c.done(b1a!, 2);
    const held = c.sched.queueSnapshot(2)[0]!.holding;
    expect(held).toBeDefined();
    const where = placed(c.sched.submit(req('m1', { id: 'm1' }), 3)).get('m1');
    expect(where).toBeDefined();
    expect(where).not.toBe(held);
  });

  it('sustained load of one model with a second arriving: the second is served on a drained backend', () => {
    const c = cluster(strategy, [
      { name: 'b1', models: both, slots: 2, max_models: 1 },
      { name: 'b2', models: both, slots: 2, max_models: 1 },
    ]);
    const b1 = c.occupy('b1', 'm1', 2, 0);
    const b2 = c.occupy('b2', 'm1', 2, 0);
    for (let i = 0; i < 3; i++) expect(c.sched.submit(req('m2', { id: `m2-${i}` }), 1)).toEqual([]);
    c.done(b1[0]!, 2);
    c.done(b2[0]!, 2);
    // A new m1 request is redirected to b2 while b1 drains.
    expect(placed(c.sched.submit(req('m1', { id: 'new' }), 3)).get('new')).toBe('b2');
    const out = c.done(b1[1]!, 4);
    const started = [...placed(out)].filter(([id]) => id.startsWith('m2-'));
    expect(started.length).toBeGreaterThan(0);
    expect(started.every(([, b]) => b === 'b1')).toBe(true);
  });
});

describe('sustained load over time (simulated servers)', () => {
  it.each(['warm-first', 'aging-bonus'] as const)('%s serves the second model within the aging bound without cutting a running request', (strategy) => {
    const s = setup(
      [
        { name: 'b1', models: both, slots: 2, max_models: 1 },
        { name: 'b2', models: both, slots: 2, max_models: 1 },
      ],
      { scheduler: { strategy, aging_ms: 20_000, unload_delay_ms: 5000 } },
    );
    const world = new World(s.policy, s.store, () => 3000);
    world.preload('b1', 'm1', 0);
    world.preload('b2', 'm1', 0);
    // m1: 3 requests a second, 1.2 s each: more than both backends can take.
    const arrivals: Arrival[] = Array.from({ length: 90 }, (_, i) => ({ at: Math.floor(i / 3) * 1000 + (i % 3) * 10, id: `m1-${i}`, model: 'm1', serviceMs: 1200 }));
    for (let i = 0; i < 3; i++) arrivals.push({ at: 2000 + i, id: `m2-${i}`, model: 'm2', serviceMs: 1000 });
    const r = runTrace(s.sched, world, arrivals);
    expect(world.violations).toEqual([]);
    for (let i = 0; i < 3; i++) expect(r.started.get(`m2-${i}`)).toBeLessThanOrEqual(2000 + 20_000 + 1200);
    // m2 took one backend; m1 kept the other.
    const m2Backends = new Set(r.decisions.filter((d) => d.model === 'm2').map((d) => d.backend));
    expect(m2Backends.size).toBe(1);
  });
});
