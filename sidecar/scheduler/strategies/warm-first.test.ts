import { describe, expect, it } from 'vitest';
import { MEAN_LOAD_TIME_CONSTANT_MS } from '../mean-load.ts';
import { dispatchOf, down, placed, probe, req, setup } from '../testing/fixtures.ts';
import { runTrace, type Arrival } from '../testing/trace.ts';
import { World } from '../testing/world.ts';

/** Teach the scheduler a service time for `model` on `backend` by running one request there. */
function learnService(s: ReturnType<typeof setup>, backend: string, model: string, ms: number, at: number) {
  const out = s.sched.submit(req(model, { id: `learn-${backend}-${at}`, pinnedBackend: backend }), at);
  expect(placed(out).get(`learn-${backend}-${at}`)).toBe(backend);
  s.sched.complete(`learn-${backend}-${at}`, at + ms, { ok: true, durationMs: ms });
}

/** Teach the datastore a load time for `model` on `backend`, as probes would. */
function learnLoad(s: ReturnType<typeof setup>, backend: string, model: string, ms: number, at: number) {
  probe(s.store, backend, { [model]: 'loading' }, at);
  probe(s.store, backend, { [model]: 'cold' }, at + ms);
  probe(s.store, backend, { [model]: 'loading' }, at + ms + 1);
  probe(s.store, backend, { [model]: 'warm' }, at + 2 * ms + 1);
  probe(s.store, backend, {}, at + 2 * ms + 2);
}

describe('warm-first: where a request goes', () => {
  const three = [
    { name: 'b1', models: ['a'], slots: 4 },
    { name: 'b2', models: ['a'], slots: 4 },
    { name: 'b3', models: ['a'], slots: 4 },
  ];

  it('prefers a warm backend with a free slot to a cold one, whatever their names or loads', () => {
    const s = setup(three);
    probe(s.store, 'b3', { a: 'warm' }, 0);
    s.store.acquire('b3', 'a', 0);
    s.store.acquire('b3', 'a', 0);
    const d = dispatchOf(s.sched.submit(req('a', { id: 'x' }), 1), 'x')!;
    expect(d.record).toMatchObject({ backend: 'b3', reason: 'warm', expectedStartMs: 0 });
    expect(Object.keys(d.record.scores!)).toEqual(['b3']); // the cold options were not about as early
    expect(d.record.expectedStartsMs).toEqual({ b1: 20_000, b2: 20_000, b3: 0 });
  });

  it('joins a load in progress rather than starting another, and never starts a second load of the same model', () => {
    const s = setup(three);
    const first = dispatchOf(s.sched.submit(req('a', { id: 'first' }), 0), 'first')!;
    expect(first.record.reason).toBe('cold-load');
    for (let i = 0; i < 3; i++) expect(dispatchOf(s.sched.submit(req('a', { id: `j${i}` }), 1), `j${i}`)!.record).toMatchObject({ backend: first.record.backend, reason: 'joined-load' });
    // The loading backend is now full: the next one waits for it instead of loading elsewhere.
    expect(s.sched.submit(req('a', { id: 'w' }), 2)).toEqual([]);
    expect(s.sched.queueSnapshot(2)[0]!.waitingReason).toMatch(/is loading on b\d: join that load/);
    // Once the load is done, no request of a has finished: a second load would be a bet on an assumed service time.
    probe(s.store, first.record.backend, { a: 'warm' }, 5000);
    expect(s.sched.tick(5000)).toEqual([]);
    expect(s.sched.queueSnapshot(5000)[0]!.waitingReason).toMatch(/none of its requests has finished yet/);
    // It takes the slot the first finish frees (pass.test.ts has the cost view load elsewhere once a service time is known).
    const out = s.sched.complete('j0', 6000, { ok: true, durationMs: 1000 });
    expect(dispatchOf(out, 'w')?.record).toMatchObject({ backend: first.record.backend, reason: 'warm' });
  });

  it('does not count a full warm backend as warm: loads on an idle peer when the wait would be longer', () => {
    const s = setup([
      { name: 'b1', models: ['a'], slots: 1 },
      { name: 'b2', models: ['a'], slots: 1 },
    ]);
    probe(s.store, 'b1', { a: 'warm' }, 0);
    learnService(s, 'b1', 'a', 60_000, 0);
    s.sched.submit(req('a', { id: 'long', pinnedBackend: 'b1' }), 60_000);
    const d = dispatchOf(s.sched.submit(req('a', { id: 'x' }), 61_000), 'x')!;
    expect(d.record).toMatchObject({ backend: 'b2', reason: 'cold-load', expectedStartMs: 20_000 });
    expect(d.record.expectedStartsMs).toEqual({ b2: 20_000, b1: 59_000 });
  });

  it('waits for a warm slot when it is expected sooner than a load, and takes it when it frees', () => {
    const s = setup([
      { name: 'b1', models: ['a'], slots: 1 },
      { name: 'b2', models: ['a'], slots: 1 },
    ]);
    probe(s.store, 'b1', { a: 'warm' }, 0);
    learnService(s, 'b1', 'a', 3000, 0);
    s.sched.submit(req('a', { id: 'run', pinnedBackend: 'b1' }), 3000);
    expect(s.sched.submit(req('a', { id: 'x' }), 4000)).toEqual([]);
    expect(s.sched.queueSnapshot()[0]!.waitingReason).toMatch(/slot on b1, where a is warm, is expected in 2000 ms, before 20000 ms elsewhere/);
    expect(s.sched.nextWakeAt()).toBe(6000); // re-examine if the slot is late
    expect(dispatchOf(s.sched.complete('run', 5500, { ok: true, durationMs: 2500 }), 'x')?.record).toMatchObject({ backend: 'b1', reason: 'warm', queuedMs: 1500 });
  });

  it('spreads waiters between a warm slot and a load once the wait for warm slots grows', () => {
    const s = setup([
      { name: 'b1', models: ['a'], slots: 1 },
      { name: 'b2', models: ['a'], slots: 1 },
    ]);
    probe(s.store, 'b1', { a: 'warm' }, 0);
    learnService(s, 'b1', 'a', 12_000, 0);
    s.sched.submit(req('a', { id: 'run', pinnedBackend: 'b1' }), 12_000);
    expect(s.sched.submit(req('a', { id: 'w1' }), 12_001)).toEqual([]); // slot in ~12 s < 20 s load
    // The second waiter would get b1's slot only after w1 (~24 s): loading b2 (20 s) is sooner.
    expect(dispatchOf(s.sched.submit(req('a', { id: 'w2' }), 12_002), 'w2')?.record.backend).toBe('b2');
  });

  it('picks the backend that loads the model fastest, as learned', () => {
    const s = setup([
      { name: 'slow', models: ['a'], slots: 2 },
      { name: 'fast', models: ['a'], slots: 2 },
    ]);
    learnLoad(s, 'slow', 'a', 30_000, 0);
    learnLoad(s, 'fast', 'a', 4000, 0);
    const d = dispatchOf(s.sched.submit(req('a', { id: 'x' }), 100_000), 'x')!;
    expect(d.record).toMatchObject({ backend: 'fast', reason: 'cold-load', expectedStartMs: 4000 });
    expect(d.record.expectedStartsMs).toEqual({ slow: 30_000, fast: 4000 });
  });

  it('prefers a cold load that fits beside other models to one that unloads a model', () => {
    const s = setup([
      { name: 'b1', models: ['a', 'x'], slots: 2, max_models: 1 },
      { name: 'b2', models: ['a', 'x'], slots: 2, max_models: 2 },
    ]);
    probe(s.store, 'b1', { x: 'warm' }, 0);
    probe(s.store, 'b2', { x: 'warm' }, 0);
    const d = dispatchOf(s.sched.submit(req('a', { id: 'r' }), 1), 'r')!;
    expect(d.record.backend).toBe('b2');
    expect(d.record.evicts).toBeUndefined();
  });

  it('pins hard: waits for the pinned backend even when another is free', () => {
    const s = setup([
      { name: 'b1', models: ['a'], slots: 1 },
      { name: 'b2', models: ['a'], slots: 1 },
    ]);
    probe(s.store, 'b1', { a: 'warm' }, 0);
    probe(s.store, 'b2', { a: 'warm' }, 0);
    s.sched.submit(req('a', { id: 'run', pinnedBackend: 'b1' }), 0);
    expect(s.sched.submit(req('a', { id: 'p', pinnedBackend: 'b1' }), 1)).toEqual([]);
    expect(dispatchOf(s.sched.complete('run', 2, { ok: true, durationMs: 2 }), 'p')?.record).toMatchObject({ backend: 'b1', reason: 'pinned' });
  });
});

describe('warm-first: the cost view', () => {
  function reloadCase(orchestratorIdleMs: number) {
    const models = ['orch', 'explore'];
    const s = setup(
      [
        { name: 'gpu2', models, slots: 1, max_models: 1 },
        { name: 'gpu3', models, slots: 1, max_models: 1 },
      ],
      { scheduler: { unload_delay_ms: 0 } },
    );
    learnLoad(s, 'gpu2', 'orch', 8000, 0);
    learnLoad(s, 'gpu3', 'explore', 8000, 0);
    probe(s.store, 'gpu2', { orch: 'warm' }, 100_000);
    probe(s.store, 'gpu3', { explore: 'warm' }, 100_000);
    learnService(s, 'gpu3', 'explore', 10_000, 100_000);
    const t = 200_000;
    s.sched.submit(req('orch', { id: 'turn', pinnedBackend: 'gpu2' }), t - orchestratorIdleMs - 1000);
    s.sched.complete('turn', t - orchestratorIdleMs, { ok: true, durationMs: 1000 });
    s.sched.submit(req('explore', { id: 'busy', pinnedBackend: 'gpu3' }), t - 1000);
    return { s, out: s.sched.submit(req('explore', { id: 'x' }), t) };
  }

  it("keeps a model worth keeping: a request waits rather than unload a model that just ran (reload × demand above the waiting imposed)", () => {
    const { s, out } = reloadCase(1000);
    expect(out).toEqual([]);
    expect(s.sched.queueSnapshot()[0]!.waitingReason).toMatch(/gpu2: orch is worth keeping: 0 ms of waiting imposed < \d+ ms \(reload × demand\)/);
  });

  it('lets a model go once its demand has faded: idle for over a minute, it is unloaded for the sooner start', () => {
    const { s, out } = reloadCase(70_000);
    // Seven time constants idle: its demand has faded to nothing (forgotten), so x may start at once.
    let d = dispatchOf(out, 'x');
    for (let i = 0; i < 5 && !d; i++) d = dispatchOf(s.sched.tick(s.sched.nextWakeAt()!), 'x');
    expect(d?.record).toMatchObject({ backend: 'gpu2', reason: 'cold-load', evicts: 'orch', expectedStartMs: 8000 });
    // The waiting it paid is the ski-rental rent: below the (tiny) reload × demand left.
    expect(d!.record.queuedMs).toBeLessThanOrEqual(8000 * Math.exp(-7));
  });

  it('times a running request from when its load actually finished, as measured', () => {
    const s = setup([
      { name: 'b1', models: ['m'], slots: 1 },
      { name: 'b2', models: ['m'], slots: 1 },
      { name: 'b3', models: ['m'], slots: 1 },
    ]);
    probe(s.store, 'b3', { m: 'warm' }, 0);
    learnService(s, 'b3', 'm', 4000, 0);
    down(s.store, 'b3', 5000);
    // r1 loads m on b1, estimated at the 20 s default; the probe measures 3 s.
    expect(dispatchOf(s.sched.submit(req('m', { id: 'r1', pinnedBackend: 'b1' }), 10_000), 'r1')?.record.expectedStartMs).toBe(20_000);
    probe(s.store, 'b1', { m: 'warm' }, 13_000);
    // At 17 s r1 has run 4 s of its 4 s: its slot is expected in 2 s, before a 3 s load on b2.
    expect(s.sched.submit(req('m', { id: 'r2' }), 17_000)).toEqual([]);
    expect(s.sched.queueSnapshot()[0]!.waitingReason).toMatch(/slot on b1, where m is warm, is expected in 2000 ms, before 3000 ms elsewhere/);
  });

  it('does not drain a backend whose running model has nowhere to go now: with more models than backends, the model keeps joining its own load', () => {
    const models = ['o', 'e', 'c'];
    const s = setup([
      { name: 'a', models, slots: 2, max_models: 1 },
      { name: 'b', models, slots: 2, max_models: 1 },
    ]);
    expect(dispatchOf(s.sched.submit(req('o', { id: 'o1' }), 0), 'o1')?.record.reason).toBe('cold-load');
    expect(dispatchOf(s.sched.submit(req('e', { id: 'e1' }), 1), 'e1')?.record.reason).toBe('cold-load');
    expect(s.sched.submit(req('c', { id: 'c1' }), 2)).toEqual([]);
    // o may be served elsewhere in principle, but b is busy with e: draining o's backend for c would only stall o.
    expect(s.sched.queueSnapshot(2)[0]).toMatchObject({ id: 'c1', holding: undefined });
    const o1 = s.sched.recentDecisions()[0]!.backend;
    expect(dispatchOf(s.sched.submit(req('o', { id: 'o2' }), 3), 'o2')?.record).toMatchObject({ backend: o1, reason: 'joined-load' });
  });
});

describe('warm-first: session affinity', () => {
  function twoWarm() {
    const s = setup([
      { name: 'b1', models: ['a'], slots: 3 },
      { name: 'b2', models: ['a'], slots: 3 },
    ]);
    probe(s.store, 'b1', { a: 'warm' }, 0);
    probe(s.store, 'b2', { a: 'warm' }, 0);
    return s;
  }

  it('keeps a conversation on its backend while that backend stays under 1.25× the mean load (bounded loads, time-averaged)', () => {
    const s = twoWarm();
    // Far enough apart for the time-averaged loads (mean-load.ts) to reach the loads of the moment.
    const later = (k: number) => k * 20 * MEAN_LOAD_TIME_CONSTANT_MS;
    const first = dispatchOf(s.sched.submit(req('a', { id: 't1', sessionKey: 'chat' }), 0), 't1')!.record.backend;
    const other = first === 'b1' ? 'b2' : 'b1';
    // Its backend is now one request busier than the other: the next turn stays anyway.
    const d = dispatchOf(s.sched.submit(req('a', { id: 't2', sessionKey: 'chat' }), later(1)), 't2')!;
    expect(d.record).toMatchObject({ backend: first, reason: 'affinity', sessionKey: 'chat' });
    // Two busier: load wins and the session moves.
    const moved = dispatchOf(s.sched.submit(req('a', { id: 't3', sessionKey: 'chat' }), later(2)), 't3')!;
    expect(moved.record).toMatchObject({ backend: other, reason: 'warm' });
    // The table follows the conversation: its new home has one request (t3), the old one none.
    s.sched.complete('t1', later(2) + 1, { ok: true, durationMs: 3 });
    s.sched.complete('t2', later(2) + 1, { ok: true, durationMs: 3 });
    expect(dispatchOf(s.sched.submit(req('a', { id: 't4', sessionKey: 'chat' }), later(3)), 't4')!.record).toMatchObject({ backend: other, reason: 'affinity' });
  });

  it('keeps a conversation on its backend through a moment of imbalance: three turns overlapping there while the other is idle', () => {
    const s = twoWarm();
    const first = dispatchOf(s.sched.submit(req('a', { id: 't1', sessionKey: 'chat' }), 0), 't1')!.record.backend;
    dispatchOf(s.sched.submit(req('a', { id: 't2', sessionKey: 'chat' }), 100), 't2');
    const d = dispatchOf(s.sched.submit(req('a', { id: 't3', sessionKey: 'chat' }), 200), 't3')!;
    expect(d.record).toMatchObject({ backend: first, reason: 'affinity' });
  });

  it('spreads new conversations: twelve sequential sessions over three idle warm backends land four on each', () => {
    const s = setup(['b1', 'b2', 'b3'].map((name) => ({ name, models: ['a'], slots: 4 })));
    for (const b of ['b1', 'b2', 'b3']) probe(s.store, b, { a: 'warm' }, 0);
    const homes = new Map<string, number>();
    for (let i = 0; i < 12; i++) {
      const t = 10 * i;
      const d = dispatchOf(s.sched.submit(req('a', { id: `c${i}`, sessionKey: `conversation-${i}` }), t), `c${i}`)!;
      homes.set(d.record.backend, (homes.get(d.record.backend) ?? 0) + 1);
      s.sched.complete(`c${i}`, t + 5, { ok: true, durationMs: 5 });
    }
    expect([...homes.values()].sort()).toEqual([4, 4, 4]);
  });

  it('forgets a session after its idle TTL', () => {
    const s = setup(
      [
        { name: 'b1', models: ['a'], slots: 2 },
        { name: 'b2', models: ['a'], slots: 2 },
      ],
      { sessions: { ttl_ms: 1000 } },
    );
    probe(s.store, 'b1', { a: 'warm' }, 0);
    probe(s.store, 'b2', { a: 'warm' }, 0);
    const first = dispatchOf(s.sched.submit(req('a', { id: 't1', sessionKey: 'chat' }), 0), 't1')!.record.backend;
    s.store.acquire(first, 'a', 0); // another request keeps the home one request busier
    s.sched.complete('t1', 10, { ok: true, durationMs: 10 });
    expect(dispatchOf(s.sched.submit(req('a', { id: 't2', sessionKey: 'chat' }), 900), 't2')!.record.backend).toBe(first);
    s.sched.complete('t2', 910, { ok: true, durationMs: 10 });
    const later = dispatchOf(s.sched.submit(req('a', { id: 't3', sessionKey: 'chat' }), 2000), 't3')!.record;
    expect(later.reason).toBe('warm');
    expect(later.backend).not.toBe(first);
  });
});

describe('warm-first: residency by cost (break-even)', () => {
  const single = [{ name: 'b1', models: ['a', 'b'], slots: 2, max_models: 1 }];

  it("keeps another model of equal priority off a model's last copy until the waiting imposed reaches its reload × demand", () => {
    const s = setup(single);
    learnLoad(s, 'b1', 'a', 4000, 0);
    probe(s.store, 'b1', { a: 'warm' }, 10_000);
    s.sched.submit(req('a', { id: 'ra' }), 10_000);
    s.sched.complete('ra', 20_000, { ok: true, durationMs: 10_000 });
    expect(s.sched.submit(req('b', { id: 'rb' }), 20_500)).toEqual([]);
    expect(s.sched.queueSnapshot()[0]!.waitingReason).toMatch(/^b1: a is worth keeping/);
    // A follow-up for the kept model goes straight in.
    expect(placed(s.sched.submit(req('a', { id: 'ra2' }), 21_000)).get('ra2')).toBe('b1');
    s.sched.complete('ra2', 22_000, { ok: true, durationMs: 1000 });
    const wake = s.sched.nextWakeAt()!;
    // The crossing: rb's waiting since a went idle (22 s) equals 4 s × a's demand then.
    expect(s.sched.tick(wake - 1)).toEqual([]);
    const d = dispatchOf(s.sched.tick(wake), 'rb');
    expect(d?.record).toMatchObject({ reason: 'cold-load', evicts: 'a' });
    const waited = wake - 22_000;
    expect(waited).toBeGreaterThan(0);
    expect(waited).toBeLessThanOrEqual(4000);
  });

  it("keeps a poller's model between its polls, however short they are, and lets it go within a reload once they stop", () => {
    const s = setup(single);
    learnLoad(s, 'b1', 'a', 4000, 0);
    probe(s.store, 'b1', { a: 'warm' }, 10_000);
    // Polls of 10 ms every 800 ms: a concurrency of about 0.01, yet the next one is always due.
    let t = 10_000;
    const poll = (i: number): void => {
      expect(placed(s.sched.submit(req('a', { id: `poll${i}` }), t)).get(`poll${i}`)).toBe('b1');
      s.sched.complete(`poll${i}`, t + 10, { ok: true, durationMs: 10 });
      t += 800;
    };
    for (let i = 0; i < 3; i++) poll(i);
    expect(s.sched.submit(req('b', { id: 'rb' }), t - 400)).toEqual([]);
    for (let i = 3; i < 13; i++) {
      expect(s.sched.tick(t - 1)).toEqual([]);
      poll(i);
    }
    expect(s.sched.queueSnapshot()[0]!.waitingReason).toMatch(/^b1: a is worth keeping/);
    // The polls stop: b unloads a once the waiting since the last poll reaches a's reload × recurrence, below one reload.
    const lastEnd = t - 800 + 10;
    const wake = s.sched.nextWakeAt()!;
    expect(s.sched.tick(wake - 1)).toEqual([]);
    expect(dispatchOf(s.sched.tick(wake), 'rb')?.record).toMatchObject({ reason: 'cold-load', evicts: 'a' });
    expect(wake - lastEnd).toBeGreaterThan(0);
    expect(wake - lastEnd).toBeLessThanOrEqual(4000);
  });

  it('yields at once to a request of higher model priority', () => {
    const s = setup(single, { models: { b: { priority: 1 } } });
    probe(s.store, 'b1', { a: 'warm' }, 0);
    s.sched.submit(req('a', { id: 'ra' }), 0);
    s.sched.complete('ra', 1000, { ok: true, durationMs: 1000 });
    expect(dispatchOf(s.sched.submit(req('b', { id: 'rb' }), 1500), 'rb')?.record.evicts).toBe('a');
  });
});

describe('warm-first: queue order', () => {
  it("collates requests for the warm model ahead (FIFO+: A B A A C A B C → A A A A B B C C)", () => {
    const s = setup([{ name: 'b1', models: ['A', 'B', 'C'], slots: 1, max_models: 1 }], { scheduler: { unload_delay_ms: 500 } });
    const world = new World(s.policy, s.store, () => 2000);
    world.preload('b1', 'A', 0);
    const arrivals: Arrival[] = ['A', 'B', 'A', 'A', 'C', 'A', 'B', 'C'].map((model, i) => ({ at: i * 100, id: `${model}${i}`, model, serviceMs: 1000 }));
    const r = runTrace(s.sched, world, arrivals);
    expect(r.decisions.map((d) => d.model).join('')).toBe('AAAABBCC');
    expect(world.loads.map((l) => l.model)).toEqual(['B', 'C']);
  });

  it('gives the first request of each cold model its own backend before any model takes a second (diversity)', () => {
    const models = ['a', 'b', 'c'];
    const s = setup([
      { name: 'b1', models, slots: 4 },
      { name: 'b2', models, slots: 4 },
      { name: 'b3', models, slots: 4 },
    ]);
    const out = [req('a', { id: 'a1' }), req('a', { id: 'a2' }), req('b', { id: 'b1' }), req('c', { id: 'c1' })].flatMap((r, i) => s.sched.submit(r, i));
    const where = placed(out);
    expect(where.get('a2')).toBe(where.get('a1'));
    expect(new Set([where.get('a1'), where.get('b1'), where.get('c1')]).size).toBe(3);
  });

  it('never unloads a model that still has requests queued while the request can wait', () => {
    const s = setup(
      [
        { name: 'b1', models: ['a', 'b'], slots: 1, max_models: 1 },
        { name: 'b2', models: ['c'], slots: 1 },
      ],
      { scheduler: { unload_delay_ms: 0 } },
    );
    probe(s.store, 'b1', { a: 'warm' }, 0);
    s.sched.submit(req('a', { id: 'a1' }), 0);
    s.sched.submit(req('b', { id: 'b1' }), 1); // needs b1, which a holds and still has queued demand for
    s.sched.submit(req('a', { id: 'a2' }), 2);
    const out = s.sched.complete('a1', 100, { ok: true, durationMs: 100 });
    expect(placed(out).get('a2')).toBe('b1');
    const b = s.sched.queueSnapshot().find((e) => e.id === 'b1')!;
    expect(b.waitingReason).toBe('would unload a, which still has requests queued');
    // With no request for a left, b unloads it: at once, or once the waiting it imposes reaches a's reload × demand.
    let d = dispatchOf(s.sched.complete('a2', 200, { ok: true, durationMs: 100 }), 'b1');
    for (let i = 0; i < 5 && !d; i++) d = dispatchOf(s.sched.tick(s.sched.nextWakeAt()!), 'b1');
    expect(d?.record.evicts).toBe('a');
  });
});

describe('warm-first: the aging bound', () => {
  it('serves a cold model within aging_ms plus the drain of the running requests, despite a steady stream for the warm model', () => {
    const s = setup([{ name: 'b1', models: ['a', 'b'], slots: 2, max_models: 1 }], { scheduler: { aging_ms: 10_000, unload_delay_ms: 5000 } });
    const world = new World(s.policy, s.store, () => 2000);
    world.preload('b1', 'a', 0);
    // a: one request a second, each 1.5 s: a always has a request running.
    const arrivals: Arrival[] = Array.from({ length: 40 }, (_, i) => ({ at: i * 1000, id: `a${i}`, model: 'a', serviceMs: 1500 }));
    arrivals.push({ at: 500, id: 'b', model: 'b', serviceMs: 1000 });
    const r = runTrace(s.sched, world, arrivals);
    const started = r.started.get('b')!;
    // Collated behind the warm model for a while (it starves ahead of aging_ms by at most a quarter of it, the time a slot takes to free) …
    expect(started).toBeGreaterThanOrEqual(500 + 10_000 * 0.75);
    // … but no longer than the bound plus the longest running request.
    expect(started).toBeLessThanOrEqual(500 + 10_000 + 1500);
    expect(world.violations).toEqual([]);
  });

  it('shows the starving request holding the backend it is draining', () => {
    const s = setup([{ name: 'b1', models: ['a', 'b'], slots: 2, max_models: 1 }], { scheduler: { aging_ms: 1000 } });
    probe(s.store, 'b1', { a: 'warm' }, 0);
    s.sched.submit(req('a', { id: 'a1' }), 0);
    s.sched.submit(req('b', { id: 'b1' }), 10);
    s.sched.tick(1010);
    const [entry] = s.sched.queueSnapshot(1010);
    expect(entry).toMatchObject({ id: 'b1', starving: true, holding: 'b1' });
    // a's next request must not refill the held backend.
    expect(s.sched.submit(req('a', { id: 'a2' }), 1020)).toEqual([]);
    expect(dispatchOf(s.sched.complete('a1', 1500, { ok: true, durationMs: 1500 }), 'b1')?.record.evicts).toBe('a');
  });
});
