// The incremental pass (pass.ts) against a full re-rank, kept here only as the
// reference: rank the whole queue, then filter and choose for every request in
// order, as the engine did before it indexed the queue. Both run side by side
// on random clusters and random event sequences, each over its own datastore
// and simulated servers; every call must return the same outcomes (backends,
// reasons, scores, expected starts) and leave the same wake-up time, queue
// order and holds.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Datastore } from '../backends/datastore.ts';
import type { Strategy as StrategyName } from '../policy/schema.ts';
import type { DispatchCycle } from './cycle.ts';
import { QueueingScheduler } from './engine.ts';
import { evaluate } from './framework.ts';
import type { PassHooks, PassResult } from './pass.ts';
import { rankQueue } from './strategies/ordering.ts';
import { policyWith } from './testing/fixtures.ts';
import { World } from './testing/world.ts';
import { SelfAccountingScheduler } from './self-accounting.ts';
import type { EdgeOutcome, SchedulerCore } from './types.ts';

class FullRerankScheduler extends QueueingScheduler {
  protected override pass(cycle: DispatchCycle, hooks: PassHooks): PassResult {
    const strategy = this.currentStrategy;
    for (const p of rankQueue(strategy.order, [...this.queue.values()], this.orderContext(cycle))) {
      const choice = strategy.choose(p, evaluate(strategy.filters, p, cycle), cycle);
      if (choice.kind === 'dispatch') {
        hooks.dispatch(p, choice);
        continue;
      }
      hooks.wait(p, choice);
      if (strategy.headOfLineBlocks) return { blocker: p.entry.req.id, groupReasons: new Map() };
    }
    return { groupReasons: new Map() };
  }
}

const STRATEGY_NAMES: readonly StrategyName[] = ['warm-first', 'fifo', 'round-robin', 'least-connections', 'random', 'aging-bonus'];
const MODELS = ['a', 'b', 'c', 'd'] as const;

const configArb = fc.record({
  backends: fc.array(
    fc.record({
      slots: fc.integer({ min: 1, max: 2 }),
      maxModels: fc.option(fc.integer({ min: 1, max: 2 }), { nil: undefined }),
      models: fc.subarray([...MODELS], { minLength: 1 }),
    }),
    { minLength: 1, maxLength: 4 },
  ),
  agingMs: fc.integer({ min: 500, max: 10_000 }),
  unloadDelayMs: fc.integer({ min: 0, max: 5000 }),
  warmBonus: fc.constantFrom(0, 10, 100),
  timeoutMs: fc.integer({ min: 2000, max: 60_000 }),
  loadMs: fc.integer({ min: 0, max: 20_000 }),
  priorities: fc.record({ a: fc.integer({ min: 0, max: 2 }), b: fc.integer({ min: 0, max: 2 }), c: fc.integer({ min: 0, max: 2 }), d: fc.integer({ min: 0, max: 2 }) }),
});

// Mostly arrivals, so queues grow long enough for groups to have many requests.
const commandArb = fc.oneof(
  { weight: 12, arbitrary: fc.record({ kind: fc.constant('submit' as const), model: fc.constantFrom(...MODELS), session: fc.option(fc.constantFrom('s1', 's2', 's3'), { nil: undefined }), pin: fc.option(fc.nat(3), { nil: undefined, freq: 6 }) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('complete' as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('cancel' as const), pick: fc.nat(), queued: fc.boolean() }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('advance' as const), probe: fc.boolean(), ms: fc.oneof({ weight: 3, arbitrary: fc.integer({ min: 0, max: 1500 }) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 15_000 }) }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('probe' as const) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('health' as const), backend: fc.nat(3), up: fc.boolean() }) },
);

type Config = typeof configArb extends fc.Arbitrary<infer T> ? T : never;
type Command = typeof commandArb extends fc.Arbitrary<infer T> ? T : never;

interface Side {
  sched: SchedulerCore<EdgeOutcome>;
  world: World;
}

function run(strategy: StrategyName, config: Config, commands: readonly Command[]): void {
  const names = config.backends.map((_, i) => `b${i + 1}`);
  const policy = policyWith(
    config.backends.map((b, i) => ({ name: names[i]!, models: b.models, slots: b.slots, max_models: b.maxModels })),
    {
      scheduler: { strategy, aging_ms: config.agingMs, unload_delay_ms: config.unloadDelayMs, warm_bonus: config.warmBonus, queue: { max_length: 1000, timeout_ms: config.timeoutMs } },
      models: Object.fromEntries(MODELS.map((m) => [m, { priority: config.priorities[m] }])),
    },
  );
  const side = (Scheduler: typeof QueueingScheduler): Side => {
    const store = new Datastore(policy);
    const world = new World(policy, store, () => config.loadMs);
    world.probe(0);
    return { sched: new SelfAccountingScheduler(new Scheduler(policy, store), store), world };
  };
  const incremental = side(QueueingScheduler);
  const reference = side(FullRerankScheduler);
  let now = 0;
  let nextId = 0;
  const queued = new Set<string>();
  const running = new Set<string>();
  const dispatchedAt = new Map<string, number>();
  const pick = <T,>(items: readonly T[], n: number): T | undefined => (items.length === 0 ? undefined : items[n % items.length]);

  const both = (call: (s: Side) => EdgeOutcome[], what: string) => {
    const got = call(incremental);
    const want = call(reference);
    expect(got, what).toEqual(want);
    for (const o of want) {
      if (o.type === 'prewarm') continue; // not about a request
      queued.delete(o.id);
      if (o.type !== 'dispatch') continue;
      running.add(o.id);
      dispatchedAt.set(o.id, now);
      for (const s of [incremental, reference]) s.world.dispatch(o.id, o.record.backend, o.record.model, now);
    }
    expect(incremental.sched.nextWakeAt(), `wake-up after ${what}`).toBe(reference.sched.nextWakeAt());
    const snapshot = (s: Side) => s.sched.queueSnapshot(now).map((e) => [e.id, e.position, e.starving, e.holding]);
    expect(snapshot(incremental), `queue after ${what}`).toEqual(snapshot(reference));
  };

  for (const c of commands) {
    switch (c.kind) {
      case 'submit': {
        const id = `r${nextId++}`;
        const pinnedBackend = c.pin === undefined ? undefined : names[c.pin % names.length];
        queued.add(id);
        both((s) => s.sched.submit({ id, model: c.model, sessionKey: c.session, pinnedBackend, promptBytes: 10, stream: true }, now), `submit ${id} at ${now}`);
        break;
      }
      case 'complete': {
        const id = pick([...running], c.pick);
        if (!id) break;
        running.delete(id);
        for (const s of [incremental, reference]) s.world.finish(id, now);
        both((s) => s.sched.complete(id, now, { ok: true, durationMs: now - dispatchedAt.get(id)! }), `complete ${id} at ${now}`);
        break;
      }
      case 'cancel': {
        const id = c.queued ? pick([...queued], c.pick) : pick([...running], c.pick);
        if (!id) break;
        if (!queued.delete(id)) {
          running.delete(id);
          for (const s of [incremental, reference]) s.world.finish(id, now);
        }
        both((s) => s.sched.cancel(id, now), `cancel ${id} at ${now}`);
        break;
      }
      case 'advance':
        // Time passes with the probes that run meanwhile: loads finish and show as warm.
        now += c.ms;
        if (c.probe) for (const s of [incremental, reference]) s.world.probe(now);
        both((s) => s.sched.tick(now), `tick at ${now}`);
        break;
      case 'probe':
        for (const s of [incremental, reference]) s.world.probe(now);
        both((s) => s.sched.tick(now), `probe at ${now}`);
        break;
      case 'health': {
        const name = names[c.backend % names.length]!;
        for (const s of [incremental, reference]) s.world.setHealthy(name, c.up, now);
        both((s) => s.sched.tick(now), `${name} ${c.up ? 'up' : 'down'} at ${now}`);
        break;
      }
    }
  }
}

describe('the incremental pass, in the cases it must not skip', () => {
  const twoBackends = () => {
    const policy = policyWith([
      { name: 'b1', models: ['a'], slots: 1 },
      { name: 'b2', models: ['a', 'b'], slots: 1, max_models: 1 },
    ]);
    return [QueueingScheduler, FullRerankScheduler].map((Scheduler) => {
      const store = new Datastore(policy);
      const world = new World(policy, store, () => 20_000);
      world.preload('b1', 'a', 0);
      return { sched: new SelfAccountingScheduler(new Scheduler(policy, store), store), world };
    });
  };

  it('looks past a request that waits for a warm slot: the next of its model takes the cold load', () => {
    const sides = twoBackends();
    const outcomes = sides.map(({ sched, world }) => {
      // One request of a has finished (10 s): before that, warm-first would not bet a load on an assumed service time.
      world.apply(sched.submit({ id: 'timed', model: 'a', promptBytes: 1, stream: true }, 0), 0);
      sched.complete('timed', 10_000, { ok: true, durationMs: 10_000 });
      world.finish('timed', 10_000);
      world.apply(sched.submit({ id: 'busy', model: 'a', promptBytes: 1, stream: true }, 10_000), 10_000);
      return [1, 2, 3].map((i) => sched.submit({ id: `q${i}`, model: 'a', promptBytes: 1, stream: true }, 10_000 + i));
    });
    expect(outcomes[0]).toEqual(outcomes[1]);
    // q1 and q2 wait for b1's slot (free in ≈10 s, then again ≈10 s later) rather than a 20 s load; q3 would get it in ≈30 s, so it loads on b2.
    expect(outcomes[0]!.flat().flatMap((o) => (o.type === 'prewarm' ? [] : [[o.id, o.type === 'dispatch' ? o.record.backend : o.type]]))).toEqual([['q3', 'b2']]);
  });
});

describe.each(STRATEGY_NAMES)('the incremental pass of %s', (strategy) => {
  it('makes the same decisions as a full re-rank of the queue on every event', async () => {
    // Async: the worker's event loop turns between runs, so a long run on a busy machine does not starve vitest's RPC.
    await fc.assert(
      fc.asyncProperty(configArb, fc.array(commandArb, { minLength: 40, maxLength: 150 }), async (config, commands) => run(strategy, config, commands)),
      { numRuns: Number(process.env.PASS_RUNS ?? 100) },
    );
    // Two schedulers and a queue snapshot per event: generous, for a busy machine.
  }, 300_000);
});
