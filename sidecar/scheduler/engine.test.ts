import { describe, expect, it } from 'vitest';
import { dispatchOf, down, placed, policyWith, probe, rejectOf, req, setup } from './testing/fixtures.ts';

const one = (slots = 1, extra: { max_models?: number; models?: string[] } = {}) => [{ name: 'b1', models: extra.models ?? ['a'], slots, max_models: extra.max_models }];

describe('admission', () => {
  it('refuses an unknown model with 404 model_not_found', () => {
    const { sched } = setup(one());
    const r = rejectOf(sched.submit(req('nope', { id: 'x' }), 0), 'x');
    expect(r).toMatchObject({ status: 404, code: 'model_not_found' });
    expect(sched.queueLength()).toBe(0);
  });

  it('refuses at once with 503 no_healthy_backend when every candidate is down, Retry-After = probe interval', () => {
    const { sched, store } = setup([
      { name: 'b1', models: ['a'] },
      { name: 'b2', models: ['b'] },
    ]);
    down(store, 'b1', 0);
    const r = rejectOf(sched.submit(req('a', { id: 'x' }), 1), 'x');
    expect(r).toMatchObject({ status: 503, code: 'no_healthy_backend', retryAfterS: 2 });
    expect(sched.queueLength()).toBe(0);
  });

  it('refuses a request pinned to a backend that is down or does not serve the model', () => {
    const { sched, store } = setup([
      { name: 'b1', models: ['a'] },
      { name: 'b2', models: ['a'] },
      { name: 'b3', models: ['b'] },
    ]);
    down(store, 'b2', 0);
    expect(rejectOf(sched.submit(req('a', { id: 'x', pinnedBackend: 'b2' }), 1), 'x')?.code).toBe('no_healthy_backend');
    expect(rejectOf(sched.submit(req('a', { id: 'y', pinnedBackend: 'b3' }), 1), 'y')?.code).toBe('no_healthy_backend');
    expect(placed(sched.submit(req('a', { id: 'z', pinnedBackend: 'b1' }), 1)).get('z')).toBe('b1');
  });

  it("refuses at once when none of an endpoint picker's allowed backends can serve, and places within them otherwise", () => {
    const { sched, store } = setup([
      { name: 'b1', models: ['a'] },
      { name: 'b2', models: ['a'] },
      { name: 'b3', models: ['b'] },
    ]);
    down(store, 'b2', 0);
    expect(rejectOf(sched.submit(req('a', { id: 'x', allowedBackends: ['b2', 'b3'] }), 1), 'x')?.code).toBe('no_healthy_backend');
    expect(placed(sched.submit(req('a', { id: 'y', allowedBackends: ['b1', 'b2'] }), 1)).get('y')).toBe('b1');
  });

  it('refuses at once when the healthy backends neither hold the model nor load models on demand', () => {
    const { sched, store } = setup([{ name: 'b1', models: ['a', 'b'] }]);
    store.applyProbe('b1', { ok: true, snapshot: { healthy: true, knowsLoaded: true, loading: false, loadsOnDemand: false, models: [{ id: 'a', state: 'warm' }] } }, 0);
    expect(rejectOf(sched.submit(req('b', { id: 'x' }), 1), 'x')).toMatchObject({ status: 503, code: 'no_healthy_backend' });
    expect(placed(sched.submit(req('a', { id: 'y' }), 1)).get('y')).toBe('b1');
  });

  it('dispatches at once when a backend is admissible, and queues otherwise', () => {
    const { sched } = setup(one(1));
    expect(placed(sched.submit(req('a', { id: 'r1' }), 0)).get('r1')).toBe('b1');
    expect(sched.submit(req('a', { id: 'r2' }), 1)).toEqual([]);
    expect([sched.queueLength(), sched.inFlight()]).toEqual([1, 1]);
    const out = sched.complete('r1', 100, { ok: true, durationMs: 100 });
    expect(dispatchOf(out, 'r2')?.record).toMatchObject({ backend: 'b1', queuedMs: 99 });
    expect([sched.queueLength(), sched.inFlight()]).toEqual([0, 1]);
  });

  it('throws on a request id that is already scheduled (an edge bug, not a client error)', () => {
    const { sched } = setup(one(1));
    sched.submit(req('a', { id: 'r1' }), 0);
    expect(() => sched.submit(req('a', { id: 'r1' }), 1)).toThrow(/already scheduled/);
  });
});

describe('queue limits', () => {
  it('rejects beyond max_length with 429 queue_full and a Retry-After from observed service times', () => {
    const { sched, store } = setup(one(1), { scheduler: { queue: { max_length: 2 } } });
    probe(store, 'b1', { a: 'warm' }, 0);
    sched.submit(req('a', { id: 'r0' }), 0);
    sched.complete('r0', 30_000, { ok: true, durationMs: 30_000 }); // learn: 30 s per request
    sched.submit(req('a', { id: 'run' }), 30_000);
    sched.submit(req('a', { id: 'q1' }), 30_001);
    sched.submit(req('a', { id: 'q2' }), 30_002);
    const r = rejectOf(sched.submit(req('a', { id: 'q3' }), 30_003), 'q3');
    // 3 requests (2 queued + this one) over 1 slot at 30 s each.
    expect(r).toMatchObject({ status: 429, code: 'queue_full', retryAfterS: 90 });
    expect(sched.queueLength()).toBe(2);
  });

  it('with max_length 0 never queues', () => {
    const { sched } = setup(one(1), { scheduler: { queue: { max_length: 0 } } });
    expect(placed(sched.submit(req('a', { id: 'r1' }), 0)).has('r1')).toBe(true);
    expect(rejectOf(sched.submit(req('a', { id: 'r2' }), 0), 'r2')?.code).toBe('queue_full');
  });

  it('times a request out with 503 queue_timeout once it has waited timeout_ms', () => {
    const { sched } = setup(one(1), { scheduler: { queue: { timeout_ms: 10_000 } } });
    sched.submit(req('a', { id: 'run' }), 0);
    sched.submit(req('a', { id: 'late' }), 1000);
    expect(sched.nextWakeAt()).toBeLessThanOrEqual(11_000);
    expect(sched.tick(10_999)).toEqual([]);
    const r = rejectOf(sched.tick(11_000), 'late');
    expect(r).toMatchObject({ status: 503, code: 'queue_timeout' });
    expect(r?.retryAfterS).toBeGreaterThanOrEqual(1);
    expect(sched.queueLength()).toBe(0);
    // It never starts afterwards.
    expect(sched.complete('run', 12_000, { ok: true, durationMs: 12_000 })).toEqual([]);
  });
});

describe('cancel and complete', () => {
  it('removes a queued request at once; it is never dispatched', () => {
    const { sched } = setup(one(1));
    sched.submit(req('a', { id: 'run' }), 0);
    sched.submit(req('a', { id: 'gone' }), 1);
    sched.submit(req('a', { id: 'next' }), 2);
    expect(sched.cancel('gone', 3)).toEqual([]);
    expect(sched.queueLength()).toBe(1);
    expect([...placed(sched.complete('run', 10, { ok: true, durationMs: 10 })).keys()]).toEqual(['next']);
  });

  it('releases a running request exactly once, however often it is cancelled or completed', () => {
    const { sched, store } = setup(one(2));
    sched.submit(req('a', { id: 'r1' }), 0);
    sched.submit(req('a', { id: 'r2' }), 0);
    expect(store.totalInFlight()).toBe(2);
    sched.cancel('r1', 1);
    sched.cancel('r1', 2);
    sched.complete('r1', 3, { ok: true, durationMs: 3 });
    expect([store.totalInFlight(), sched.inFlight()]).toEqual([1, 1]);
    sched.complete('r2', 4, { ok: true, durationMs: 4 });
    sched.complete('r2', 5, { ok: true, durationMs: 5 });
    expect([store.totalInFlight(), sched.inFlight()]).toEqual([0, 0]);
  });

  it('treats completion of a request still queued as its cancellation', () => {
    const { sched } = setup(one(1));
    sched.submit(req('a', { id: 'run' }), 0);
    sched.submit(req('a', { id: 'q' }), 1);
    sched.complete('q', 2, { ok: false, durationMs: 0 });
    expect(sched.queueLength()).toBe(0);
    expect(sched.complete('run', 3, { ok: true, durationMs: 3 })).toEqual([]);
  });

  it('dispatches what the released slot admits on cancel of a running request', () => {
    const { sched } = setup(one(1));
    sched.submit(req('a', { id: 'run' }), 0);
    sched.submit(req('a', { id: 'q' }), 1);
    expect(placed(sched.cancel('run', 2)).get('q')).toBe('b1');
  });
});

describe('nextWakeAt', () => {
  it('is undefined with an empty queue', () => {
    const { sched } = setup(one(1));
    sched.submit(req('a'), 0);
    expect(sched.nextWakeAt()).toBeUndefined();
  });

  it('reports the earliest of queue timeout, aging crossover and the break-even time of a kept model', () => {
    const { sched, store } = setup(one(4, { max_models: 1, models: ['a', 'b'] }), {
      scheduler: { aging_ms: 20_000, queue: { timeout_ms: 60_000 } },
    });
    probe(store, 'b1', { a: 'warm' }, 0);
    sched.submit(req('a', { id: 'ra' }), 0);
    sched.complete('ra', 1000, { ok: true, durationMs: 1000 }); // a is worth its reload × demand for a while
    sched.submit(req('b', { id: 'rb' }), 2000);
    expect(sched.queueLength()).toBe(1);
    const wake = sched.nextWakeAt()!;
    expect(wake).toBeGreaterThan(2000);
    expect(wake).toBeLessThan(22_000); // before the aging crossover
    expect(sched.tick(wake - 1)).toEqual([]);
    expect(placed(sched.tick(wake)).get('rb')).toBe('b1');
  });

  it('wakes at the aging crossover when that comes first', () => {
    const { sched, store } = setup(one(4, { max_models: 1, models: ['a', 'b'] }), { scheduler: { aging_ms: 3000 } });
    probe(store, 'b1', { a: 'warm' }, 0);
    sched.submit(req('a', { id: 'ra' }), 0);
    sched.complete('ra', 10_000, { ok: true, durationMs: 10_000 }); // busy for 10 s: worth keeping for longer than 3 s
    sched.submit(req('b', { id: 'rb' }), 10_500);
    // rb starves ahead of aging_ms by the time a slot takes to free (10 s learned here), at most aging_ms / 4.
    expect(sched.nextWakeAt()).toBe(10_500 + 3000 - 750);
    expect(placed(sched.tick(10_500 + 3000 - 750)).get('rb')).toBe('b1');
  });
});

describe('hot reload', () => {
  it('keeps queued requests in place and applies the new strategy and limits', () => {
    const { sched, policy } = setup(one(1, { models: ['a', 'b'] }), { scheduler: { strategy: 'fifo' } });
    sched.submit(req('a', { id: 'run' }), 0);
    sched.submit(req('a', { id: 'q1' }), 1);
    sched.submit(req('b', { id: 'q2' }), 2);
    sched.submit(req('a', { id: 'q3' }), 3);
    expect(sched.queueSnapshot(4).map((e) => e.id)).toEqual(['q1', 'q2', 'q3']);
    const next = policyWith(
      policy.backends.map((b) => ({ name: b.name, models: b.models, slots: b.slots })),
      { scheduler: { strategy: 'warm-first', queue: { max_length: 3 } } },
    );
    sched.setPolicy(next);
    // Warm-first: the cold model's first request (diversity), then the warm model collated.
    const snap = sched.queueSnapshot(4);
    expect(snap.map((e) => [e.id, e.ageMs])).toEqual([
      ['q2', 2],
      ['q1', 3],
      ['q3', 1],
    ]);
    expect(rejectOf(sched.submit(req('a', { id: 'q4' }), 5), 'q4')?.code).toBe('queue_full');
    expect(placed(sched.complete('run', 6, { ok: true, durationMs: 6 })).has('q2')).toBe(true);
  });
});

describe('introspection', () => {
  it('keeps a bounded ring of recent decisions, oldest first', () => {
    const { sched } = setup(one(8), {}, { decisionHistory: 3 });
    for (let i = 0; i < 5; i++) sched.submit(req('a', { id: `r${i}` }), i);
    expect(sched.recentDecisions().map((d) => d.requestId)).toEqual(['r2', 'r3', 'r4']);
    expect(sched.recentDecisions()[2]).toMatchObject({ model: 'a', backend: 'b1', backendModelId: 'a', strategy: 'warm-first', at: 4 });
  });

  it('lists the queue in dispatch order with age, computed priority and why each waits', () => {
    const { sched } = setup(one(1, { models: ['a', 'b'] }), { scheduler: { warm_bonus: 100, aging_ms: 10_000 } });
    sched.submit(req('a', { id: 'run' }), 0);
    sched.submit(req('b', { id: 'cold' }), 1000);
    sched.submit(req('a', { id: 'warm' }), 2000);
    const snap = sched.queueSnapshot(3000);
    expect(snap.map((e) => [e.id, e.position, e.ageMs, e.priority])).toEqual([
      ['cold', 0, 2000, 20], // diversity: the first request of a model warm nowhere
      ['warm', 1, 1000, 110], // bonus 100 + 1 s × 10/s
    ]);
    expect(snap[0]!.waitingReason).toMatch(/no free slot/);
  });
});
