// Pre-warm and hedged cold start, through the real scheduler core.
import { describe, expect, it } from 'vitest';
import type { BackendKind } from '../../policy/schema.ts';
import { dispatchOf, probe, req, setup } from '../testing/fixtures.ts';
import type { PrewarmOutcome, SchedulerOutcome } from '../types.ts';

const prewarmsOf = (out: readonly SchedulerOutcome[]) => out.filter((o): o is PrewarmOutcome => o.type === 'prewarm');

/** Teach the datastore a load time, as probes would (cold → loading → warm), then leave the model cold again. */
function learnLoad(s: ReturnType<typeof setup>, backend: string, model: string, ms: number, at: number) {
  probe(s.store, backend, { [model]: 'loading' }, at);
  probe(s.store, backend, { [model]: 'warm' }, at + ms);
  probe(s.store, backend, {}, at + ms + 1);
}

/** Two one-slot backends of `kind` serving m, each with a learned 2 s load, and one request of m timed (1 s), all cold again by 10 s. */
function twoBoxes(kind?: BackendKind) {
  const s = setup(['b1', 'b2'].map((name) => ({ name, models: ['m'], slots: 1, kind })));
  for (const b of ['b1', 'b2']) learnLoad(s, b, 'm', 2000, 0);
  probe(s.store, 'b1', { m: 'warm' }, 5000);
  s.sched.submit(req('m', { id: 'timed', pinnedBackend: 'b1' }), 5000);
  s.sched.complete('timed', 6000, { ok: true, durationMs: 1000 });
  probe(s.store, 'b1', {}, 6001);
  return s;
}

describe('hedged cold start', () => {
  it('hedges while a model is loading on a full backend: the second request does not wait for the first one to finish there', () => {
    const s = twoBoxes('llama-swap');
    // r1 starts the load on one backend; r2 may not start the same load elsewhere (one load per model) and that
    // backend's only slot is r1's: its wait is the rest of the load plus r1's service time.
    const r1 = dispatchOf(s.sched.submit(req('m', { id: 'r1' }), 10_000), 'r1')!;
    const other = r1.record.backend === 'b1' ? 'b2' : 'b1';
    const out = s.sched.submit(req('m', { id: 'r2' }), 10_001);
    expect(dispatchOf(out, 'r2')).toBeUndefined();
    expect(prewarmsOf(out)).toMatchObject([{ action: 'start', backend: other, model: 'm', why: expect.stringMatching(/^hedge:/) }]);
    expect(s.sched.queueSnapshot()[0]!.waitingReason).toMatch(new RegExp(`pre-warming m on ${other}`));
    // The pre-warmed copy is ready first: r2 goes there; the pre-warm is settled, nothing is cancelled.
    probe(s.store, other, { m: 'warm' }, 12_001);
    const served = s.sched.tick(12_001);
    expect(dispatchOf(served, 'r2')?.record).toMatchObject({ backend: other, reason: 'warm' });
    expect(prewarmsOf(served)).toEqual([]);
  });

  it('does not hedge on assumed figures: not before a load and one of the model\'s requests were timed', () => {
    const untimed = setup(['b1', 'b2'].map((name) => ({ name, models: ['m'], slots: 1, kind: 'llama-swap' as const })));
    for (const b of ['b1', 'b2']) learnLoad(untimed, b, 'm', 2000, 0);
    untimed.sched.submit(req('m', { id: 'r1' }), 10_000);
    expect(prewarmsOf(untimed.sched.submit(req('m', { id: 'r2' }), 10_001))).toEqual([]);
    const unloaded = setup(['b1', 'b2'].map((name) => ({ name, models: ['m'], slots: 1, kind: 'llama-swap' as const })));
    unloaded.sched.submit(req('m', { id: 'r1' }), 10_000);
    expect(prewarmsOf(unloaded.sched.submit(req('m', { id: 'r2' }), 10_001))).toEqual([]);
  });

  it('is cancelled when nothing waits for the model any more', () => {
    const s = twoBoxes('llama-swap');
    s.sched.submit(req('m', { id: 'r1' }), 10_000);
    const start = prewarmsOf(s.sched.submit(req('m', { id: 'r2' }), 10_001));
    expect(start).toHaveLength(1);
    const out = s.sched.cancel('r2', 10_500);
    expect(prewarmsOf(out)).toMatchObject([{ action: 'cancel', backend: start[0]!.backend, model: 'm', why: 'no request for m is waiting any more' }]);
  });

  it('never asks a server without a load call', () => {
    const s = twoBoxes();
    s.sched.submit(req('m', { id: 'r1' }), 10_000);
    expect(prewarmsOf(s.sched.submit(req('m', { id: 'r2' }), 10_001))).toEqual([]);
  });
});

/** Probes of a llama-server router started with --no-models-autoload. */
const routerProbe = (s: ReturnType<typeof setup>) => (models: Record<string, 'warm' | 'loading' | 'cold'>, at: number) =>
  s.store.applyProbe(
    'router',
    { ok: true, snapshot: { healthy: true, knowsLoaded: true, loading: false, loadsOnDemand: false, models: Object.entries(models).map(([id, state]) => ({ id, state })) } },
    at,
  );

describe('pre-warm', () => {
  it('loads a model on a router that does not load on demand, then serves the waiting request there', () => {
    const s = setup([{ name: 'router', models: ['a', 'b'], slots: 2, max_models: 2, kind: 'llama-server' }]);
    const noAutoload = routerProbe(s);
    noAutoload({ a: 'warm', b: 'cold' }, 0);
    const out = s.sched.submit(req('b', { id: 'rb' }), 100);
    expect(dispatchOf(out, 'rb')).toBeUndefined();
    expect(prewarmsOf(out)).toMatchObject([{ action: 'start', backend: 'router', model: 'b', backendModelId: 'b' }]);
    // Asked again while it loads: no second pre-warm.
    expect(prewarmsOf(s.sched.tick(200))).toEqual([]);
    noAutoload({ a: 'warm', b: 'warm' }, 3000);
    expect(dispatchOf(s.sched.tick(3000), 'rb')?.record).toMatchObject({ backend: 'router', reason: 'warm' });
  });

  it('never unloads a model with requests running or queued, nor one still in demand', () => {
    const s = setup([{ name: 'router', models: ['a', 'b'], slots: 2, max_models: 1, kind: 'llama-server' }]);
    const noAutoload = routerProbe(s);
    noAutoload({ a: 'warm' }, 0);
    s.sched.submit(req('a', { id: 'ra' }), 100);
    // a is running: b may not unload it.
    expect(prewarmsOf(s.sched.submit(req('b', { id: 'rb' }), 200))).toEqual([]);
    // a ended a moment ago after a long run: still in demand, so still no pre-warm over it.
    expect(prewarmsOf(s.sched.complete('ra', 20_000, { ok: true, durationMs: 19_900 }))).toEqual([]);
    // Half a minute later a's demand has faded (< 5 %): b is pre-warmed in its place.
    expect(prewarmsOf(s.sched.tick(60_000))).toMatchObject([{ action: 'start', backend: 'router', model: 'b' }]);
  });
});
