// Property-based tests: random clusters and random sequences of arrivals,
// completions, cancellations, probes, health flips and time, for every
// strategy, checked against simulated LRU servers (testing/world.ts).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Strategy } from '../policy/schema.ts';
import { residencyOf, fitOf, believedState } from './residency.ts';
import { setup } from './testing/fixtures.ts';
import { World } from './testing/world.ts';
import type { BackendView, EdgeOutcome } from './types.ts';

const STRATEGY_NAMES: readonly Strategy[] = ['warm-first', 'fifo', 'round-robin', 'least-connections', 'random', 'aging-bonus'];
const MODELS = ['a', 'b', 'c'] as const;

const backendArb = fc.record({
  slots: fc.integer({ min: 1, max: 3 }),
  maxModels: fc.option(fc.integer({ min: 1, max: 2 }), { nil: undefined }),
  models: fc.subarray([...MODELS], { minLength: 1 }),
});

const configArb = fc.record({
  backends: fc.array(backendArb, { minLength: 1, maxLength: 3 }),
  agingMs: fc.integer({ min: 500, max: 10_000 }),
  unloadDelayMs: fc.integer({ min: 0, max: 5000 }),
  warmBonus: fc.constantFrom(0, 10, 100),
  maxLength: fc.integer({ min: 0, max: 6 }),
  timeoutMs: fc.integer({ min: 1000, max: 60_000 }),
  loadMs: fc.integer({ min: 0, max: 5000 }),
  priorities: fc.record({ a: fc.integer({ min: 0, max: 2 }), b: fc.integer({ min: 0, max: 2 }), c: fc.integer({ min: 0, max: 2 }) }),
});

const commandArb = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('submit' as const), model: fc.constantFrom('a', 'b', 'c', 'unknown'), session: fc.option(fc.constantFrom('s1', 's2'), { nil: undefined }), pin: fc.option(fc.nat(3), { nil: undefined, freq: 8 }) }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('complete' as const), pick: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('cancel' as const), pick: fc.nat(), queued: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('again' as const), pick: fc.nat() }) },
  // Mostly short steps (inside sticky windows and aging bounds), sometimes long ones (timeouts).
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('advance' as const), ms: fc.oneof({ weight: 3, arbitrary: fc.integer({ min: 0, max: 1500 }) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 15_000 }) }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('probe' as const) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('health' as const), backend: fc.nat(3), up: fc.boolean() }) },
);

type Config = typeof configArb extends fc.Arbitrary<infer T> ? T : never;
type Command = typeof commandArb extends fc.Arbitrary<infer T> ? T : never;

/** May `model` start on this backend now (pin, health, slot, max models, one load at a time)? An independent restatement of admissibility. */
function freeFor(view: BackendView, views: readonly BackendView[], candidates: readonly string[], model: string, pinned: string | undefined): boolean {
  if (!view.healthy || !candidates.includes(view.name) || (pinned !== undefined && pinned !== view.name)) return false;
  if (view.slots - view.inFlight - view.externalInFlight <= 0) return false;
  const residency = residencyOf(view);
  if (fitOf(view, residency, model).kind === 'full') return false;
  if (believedState(view, residency, model) === 'cold')
    for (const other of views) {
      if (other.name === view.name || !other.healthy || !candidates.includes(other.name)) continue;
      if (believedState(other, residencyOf(other), model) === 'loading') return false;
    }
  return true;
}

function run(strategy: Strategy, config: Config, commands: readonly Command[]): void {
  const names = config.backends.map((_, i) => `b${i + 1}`);
  const s = setup(
    config.backends.map((b, i) => ({ name: names[i]!, models: b.models, slots: b.slots, max_models: b.maxModels })),
    {
      scheduler: {
        strategy,
        aging_ms: config.agingMs,
        unload_delay_ms: config.unloadDelayMs,
        warm_bonus: config.warmBonus,
        queue: { max_length: config.maxLength, timeout_ms: config.timeoutMs },
      },
      models: { a: { priority: config.priorities.a }, b: { priority: config.priorities.b }, c: { priority: config.priorities.c } },
    },
  );
  const world = new World(s.policy, s.store, () => config.loadMs);
  world.probe(0);

  let now = 0;
  let nextId = 0;
  const submittedAt = new Map<string, number>();
  const fate = new Map<string, 'dispatched' | 'rejected' | 'cancelled'>();
  const queued = new Set<string>();
  const running = new Set<string>();
  const dispatchedAt = new Map<string, number>();
  const ended: string[] = [];

  const absorb = (outcomes: readonly EdgeOutcome[]) => {
    for (const o of outcomes) {
      if (o.type === 'prewarm') continue; // not about a request; pre-warm invariants have their own tests
      expect(fate.has(o.id), `second outcome for ${o.id}`).toBe(false);
      expect(queued.has(o.id), `outcome for ${o.id}, which is not queued`).toBe(true);
      queued.delete(o.id);
      if (o.type === 'reject') {
        fate.set(o.id, 'rejected');
        expect(['model_not_found', 'no_healthy_backend', 'queue_full', 'queue_timeout']).toContain(o.code);
        if (o.status !== 404) expect(o.retryAfterS).toBeGreaterThanOrEqual(1);
      } else {
        fate.set(o.id, 'dispatched');
        running.add(o.id);
        dispatchedAt.set(o.id, now);
        world.dispatch(o.id, o.record.backend, o.record.model, now);
      }
    }
    check();
  };

  const check = () => {
    expect(world.violations).toEqual([]);
    const views = s.store.views();
    for (const v of views) {
      // Our accounting matches what runs on the server: nothing leaked, nothing released twice.
      expect(v.inFlight, `${v.name} in flight`).toBe(world.runningOn(v.name));
      expect(v.inFlight).toBeLessThanOrEqual(v.slots);
    }
    expect(s.sched.queueLength()).toBe(queued.size);
    expect(s.sched.inFlight()).toBe(running.size);
    expect(queued.size).toBeLessThanOrEqual(config.maxLength);
    const wake = s.sched.nextWakeAt();
    for (const id of queued) expect(wake, 'a wake-up before the queue timeout').toBeLessThanOrEqual(submittedAt.get(id)! + config.timeoutMs);
    if (strategy === 'warm-first') checkAgingBound(views);
  };

  // A request past the aging bound (or starving a little ahead of it) never waits while a backend could
  // take it, unless another starving request holds that backend for its own model.
  const checkAgingBound = (views: readonly BackendView[]) => {
    const snapshot = s.sched.queueSnapshot(now);
    const starvingHolds = new Map(snapshot.filter((e) => e.starving && e.holding !== undefined).map((e) => [e.holding!, e]));
    for (const e of snapshot) {
      // It starves ahead of the bound by the time a held slot takes to free, at most a quarter of it (engine.ts).
      if (e.ageMs < config.agingMs * 0.75) {
        expect(e.starving).toBe(false);
        continue;
      }
      if (e.ageMs >= config.agingMs) expect(e.starving).toBe(true);
      if (!e.starving) continue;
      const pinned = pins.get(e.id);
      const candidates = s.store.candidatesFor(e.model);
      for (const v of views) {
        if (!freeFor(v, views, candidates, e.model, pinned)) continue;
        const holder = starvingHolds.get(v.name);
        expect(holder && holder.model !== e.model, `${e.id} (${e.model}, waited ${e.ageMs} ms) could start on ${v.name}`).toBe(true);
      }
    }
  };

  const pins = new Map<string, string>();
  const pick = <T,>(items: readonly T[], n: number): T | undefined => (items.length === 0 ? undefined : items[n % items.length]);

  for (const c of commands) {
    switch (c.kind) {
      case 'submit': {
        const id = `r${nextId++}`;
        const pinnedBackend = c.pin === undefined ? undefined : names[c.pin % names.length];
        if (pinnedBackend) pins.set(id, pinnedBackend);
        submittedAt.set(id, now);
        queued.add(id);
        absorb(s.sched.submit({ id, model: c.model, sessionKey: c.session, pinnedBackend, promptBytes: 10, stream: true }, now));
        break;
      }
      case 'complete': {
        const id = pick([...running], c.pick);
        if (!id) break;
        running.delete(id);
        ended.push(id);
        world.finish(id, now);
        absorb(s.sched.complete(id, now, { ok: true, durationMs: now - dispatchedAt.get(id)! }));
        break;
      }
      case 'cancel': {
        const id = c.queued ? pick([...queued], c.pick) : pick([...running], c.pick);
        if (!id) break;
        if (queued.delete(id)) fate.set(id, 'cancelled');
        else {
          running.delete(id);
          ended.push(id);
          world.finish(id, now);
        }
        absorb(s.sched.cancel(id, now));
        break;
      }
      case 'again': {
        // Repeated completion/cancellation of a request that already ended: a no-op.
        const id = pick(ended, c.pick);
        if (!id) break;
        absorb(c.pick % 2 === 0 ? s.sched.cancel(id, now) : s.sched.complete(id, now, { ok: true, durationMs: 1 }));
        break;
      }
      case 'advance':
        now += c.ms;
        absorb(s.sched.tick(now));
        break;
      case 'probe':
        world.probe(now);
        absorb(s.sched.tick(now));
        break;
      case 'health': {
        const name = names[c.backend % names.length]!;
        world.setHealthy(name, c.up, now);
        absorb(s.sched.tick(now));
        break;
      }
    }
  }

  // Wind down: every backend up, finish whatever runs, let the rest time out.
  for (const name of names) world.setHealthy(name, true, now);
  absorb(s.sched.tick(now));
  for (let round = 0; round < 1000 && (running.size > 0 || queued.size > 0); round++) {
    for (const id of [...running]) {
      running.delete(id);
      world.finish(id, now);
      absorb(s.sched.complete(id, now, { ok: true, durationMs: 1 }));
    }
    now += 1000;
    world.probe(now);
    absorb(s.sched.tick(now));
  }
  expect([queued.size, running.size]).toEqual([0, 0]);
  expect(s.store.totalInFlight()).toBe(0);
  expect(s.store.views().every((v) => v.inFlight === 0 && v.inFlightByModel.size === 0)).toBe(true);
  // Every request left the queue exactly once.
  for (const id of submittedAt.keys()) expect(fate.has(id), `${id} has a fate`).toBe(true);
}

describe.each(STRATEGY_NAMES)('properties of %s', (strategy) => {
  it('never exceeds slots or max models, accounts every request exactly once and releases every slot once', () => {
    fc.assert(
      fc.property(configArb, fc.array(commandArb, { maxLength: 80 }), (config, commands) => {
        run(strategy, config, commands);
      }),
      { numRuns: 300 },
    );
  });
});
