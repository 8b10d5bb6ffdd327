import { describe, expect, it } from 'vitest';
import { placed, probe, req, setup } from '../testing/fixtures.ts';

const twoBackends = [
  { name: 'b1', models: ['a', 'b'], slots: 2 },
  { name: 'b2', models: ['a', 'b'], slots: 2 },
];

describe('fifo (llama-swap default)', () => {
  it('serves strictly in arrival order: a blocked head holds up everything behind it', () => {
    const s = setup([{ name: 'b1', models: ['a', 'b'], slots: 2, max_models: 1 }], { scheduler: { strategy: 'fifo' } });
    probe(s.store, 'b1', { a: 'warm' }, 0);
    s.sched.submit(req('a', { id: 'a1' }), 0);
    expect(s.sched.submit(req('b', { id: 'b1' }), 1)).toEqual([]); // a is running: b cannot load
    // a is warm with a free slot, but b is ahead of it.
    expect(s.sched.submit(req('a', { id: 'a2' }), 2)).toEqual([]);
    expect(s.sched.queueSnapshot(2).map((e) => e.waitingReason)).toEqual([expect.stringMatching(/all running: a/), 'behind b1 (strict FIFO)']);
    const out = s.sched.complete('a1', 3, { ok: true, durationMs: 3 });
    expect([...placed(out).keys()]).toEqual(['b1']);
  });

  it('serves where the model is warm, else joins a load, else loads on the first admissible backend', () => {
    const s = setup(
      [
        { name: 'b1', models: ['a'], slots: 2 },
        { name: 'b2', models: ['a'], slots: 2 },
        { name: 'b3', models: ['a'], slots: 2 },
      ],
      { scheduler: { strategy: 'fifo' } },
    );
    expect(placed(s.sched.submit(req('a', { id: 'x' }), 0)).get('x')).toBe('b1'); // cold everywhere: first
    probe(s.store, 'b1', { a: 'cold' }, 1);
    probe(s.store, 'b3', { a: 'warm' }, 1);
    expect(placed(s.sched.submit(req('a', { id: 'y' }), 2)).get('y')).toBe('b3');
  });
});

describe('every baseline', () => {
  it.each(['fifo', 'round-robin', 'least-connections', 'random', 'aging-bonus'] as const)('%s never sends a cold model to a server that does not load on demand', (strategy) => {
    const s = setup(twoBackends, { scheduler: { strategy } });
    s.store.applyProbe('b1', { ok: true, snapshot: { healthy: true, knowsLoaded: true, loading: false, loadsOnDemand: false, models: [{ id: 'a', state: 'warm' }] } }, 0);
    const out = [0, 1, 2, 3].flatMap((i) => s.sched.submit(req('b', { id: `r${i}` }), i));
    expect(new Set(placed(out).values())).toEqual(new Set(['b2']));
  });
});

describe('round-robin', () => {
  it('cycles over the admissible backends in policy order, ignoring warmth', () => {
    const s = setup(twoBackends, { scheduler: { strategy: 'round-robin' } });
    probe(s.store, 'b2', { a: 'warm' }, 0);
    const out = [0, 1, 2].flatMap((i) => s.sched.submit(req('a', { id: `r${i}` }), i));
    expect([...placed(out).values()]).toEqual(['b1', 'b2', 'b1']);
    expect(s.sched.recentDecisions().every((d) => d.reason === 'baseline' && d.strategy === 'round-robin')).toBe(true);
  });
});

describe('least-connections (Olla default)', () => {
  it('picks the fewest requests in flight through this sidecar, rotating among ties', () => {
    const s = setup(
      [
        { name: 'b1', models: ['a'], slots: 4 },
        { name: 'b2', models: ['a'], slots: 4 },
        { name: 'b3', models: ['a'], slots: 4 },
      ],
      { scheduler: { strategy: 'least-connections' } },
    );
    s.store.acquire('b1', 'a', 0);
    s.store.acquire('b3', 'a', 0);
    expect(placed(s.sched.submit(req('a', { id: 'x' }), 1)).get('x')).toBe('b2');
    // Now all tie at 1: the cursor moves on.
    const next = [2, 3].flatMap((i) => s.sched.submit(req('a', { id: `t${i}` }), i));
    expect(new Set(placed(next).values()).size).toBe(2);
  });
});

describe('random', () => {
  it('draws from the injected generator', () => {
    const draws = [0.9, 0.1, 0.6];
    let i = 0;
    const s = setup(twoBackends, { scheduler: { strategy: 'random' } }, { random: () => draws[i++ % draws.length]! });
    const out = [0, 1, 2].flatMap((k) => s.sched.submit(req('a', { id: `r${k}` }), k));
    expect([...placed(out).values()]).toEqual(['b2', 'b1', 'b2']);
  });

  it('repeats the same choices with the default seeded generator', () => {
    const run = () => {
      const s = setup(twoBackends, { scheduler: { strategy: 'random' } });
      return [...placed([0, 1, 2, 3].flatMap((k) => s.sched.submit(req('a', { id: `r${k}` }), k))).values()];
    };
    expect(run()).toEqual(run());
  });
});

describe('aging-bonus (llamacpp-ha 0.14)', () => {
  it("prefers the session's previous backend when admissible, else the lowest slot use", () => {
    const s = setup(twoBackends, { scheduler: { strategy: 'aging-bonus' } });
    const first = placed(s.sched.submit(req('a', { id: 't1', sessionKey: 'chat' }), 0)).get('t1')!;
    expect(placed(s.sched.submit(req('a', { id: 't2', sessionKey: 'chat' }), 1)).get('t2')).toBe(first);
    const other = first === 'b1' ? 'b2' : 'b1';
    expect(placed(s.sched.submit(req('a', { id: 'x' }), 2)).get('x')).toBe(other);
  });

  it('lets the first request of a cold model displace a model in its sticky window (diversity pass)', () => {
    const s = setup([{ name: 'b1', models: ['a', 'b'], slots: 2, max_models: 1 }], { scheduler: { strategy: 'aging-bonus', unload_delay_ms: 60_000 } });
    probe(s.store, 'b1', { a: 'warm' }, 0);
    s.sched.submit(req('a', { id: 'a1' }), 0);
    s.sched.complete('a1', 10, { ok: true, durationMs: 10 });
    expect(placed(s.sched.submit(req('b', { id: 'b1' }), 20)).get('b1')).toBe('b1');
  });

  it('orders by warm bonus plus age: a cold request that has waited aging_ms overtakes a fresh warm one', () => {
    const s = setup([{ name: 'b1', models: ['a', 'b'], slots: 1, max_models: 1 }], { scheduler: { strategy: 'aging-bonus', warm_bonus: 10, aging_ms: 10_000 } });
    probe(s.store, 'b1', { a: 'warm' }, 0);
    s.sched.submit(req('a', { id: 'run' }), 0);
    s.sched.submit(req('b', { id: 'cold' }), 0);
    s.sched.submit(req('b', { id: 'cold2' }), 1);
    s.sched.submit(req('a', { id: 'warm' }), 5000);
    // The first cold request goes first (diversity); the second cold one is behind the warm one while young …
    expect(s.sched.queueSnapshot(6000).map((e) => e.id)).toEqual(['cold', 'warm', 'cold2']);
    // … and ahead of a fresh one once its age has caught up with the bonus.
    s.sched.cancel('warm', 15_000);
    s.sched.submit(req('a', { id: 'fresh' }), 15_500);
    expect(s.sched.queueSnapshot(16_000).map((e) => e.id)).toEqual(['cold', 'cold2', 'fresh']);
  });

  it('is plain FIFO without a warm bonus', () => {
    const s = setup([{ name: 'b1', models: ['a', 'b'], slots: 1 }], { scheduler: { strategy: 'aging-bonus', warm_bonus: 0 } });
    probe(s.store, 'b1', { a: 'warm' }, 0);
    s.sched.submit(req('a', { id: 'run' }), 0);
    s.sched.submit(req('b', { id: 'q1' }), 1);
    s.sched.submit(req('a', { id: 'q2' }), 2);
    expect(s.sched.queueSnapshot(3).map((e) => e.id)).toEqual(['q1', 'q2']);
  });
});
