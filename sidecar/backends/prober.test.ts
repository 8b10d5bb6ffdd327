import { describe, expect, it } from 'vitest';

import { Policy, type PolicyInput } from '../policy/schema.ts';
import { json } from './adapters/test-support.ts';
import type { ProbeHttp, ProbeResponse } from './adapters/types.ts';
import { Datastore, type Transition } from './datastore.ts';
import { PROBE_DEADLINE_TIMEOUTS, Prober, RESOLVE_EVERY_MS, type ProberClock, type ProberDeps } from './prober.ts';

/** Timers that fire only when the test advances time. */
class FakeClock implements ProberClock<number> {
  t = 1_000_000;
  private nextId = 1;
  readonly timers = new Map<number, { at: number; fn: () => void }>();
  now(): number {
    return this.t;
  }
  setTimeout(fn: () => void, ms: number): number {
    const id = this.nextId++;
    this.timers.set(id, { at: this.t + ms, fn });
    return id;
  }
  clearTimeout(id: number): void {
    this.timers.delete(id);
  }
  /** Delays (from now) of the pending timers, soonest first. */
  pending(): number[] {
    return [...this.timers.values()].map((x) => x.at - this.t).sort((a, b) => a - b);
  }
  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    for (;;) {
      await settle();
      let soonest: [number, { at: number; fn: () => void }] | undefined;
      for (const entry of this.timers) if (entry[1].at <= end && (!soonest || entry[1].at < soonest[1].at)) soonest = entry;
      if (!soonest) break;
      this.timers.delete(soonest[0]);
      this.t = soonest[1].at;
      soonest[1].fn();
    }
    this.t = end;
    await settle();
  }
}

/** Lets every pending promise chain run (the fakes below resolve through microtasks only). */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

const UP = json(200, { object: 'list', data: [{ id: 'm', object: 'model' }] });

/** An OpenAI-kind backend whose answer the test switches; counts GETs. */
function scriptedHttp() {
  const state = { answer: UP as ProbeResponse | Error | 'hang', gets: 0, release: [] as Array<() => void> };
  const http: ProbeHttp = {
    get: () => {
      state.gets++;
      const a = state.answer;
      if (a === 'hang') return new Promise<ProbeResponse>((resolve) => state.release.push(() => resolve(UP)));
      return a instanceof Error ? Promise.reject(a) : Promise.resolve(a);
    },
  };
  return { state, http };
}

const PROBE = { interval_ms: 1000, timeout_ms: 100, max_backoff_ms: 8000 };

function setup(backends: PolicyInput['backends'] = [{ name: 'a', url: 'http://10.0.0.1:8000', models: ['m'], probe: PROBE }], deps: Partial<ProberDeps<number>> = {}) {
  const clock = new FakeClock();
  const store = new Datastore(Policy.parse({ backends }));
  const { state, http } = scriptedHttp();
  const transitions: Transition[] = [];
  const probes: Array<{ name: string; ok: boolean; ms: number }> = [];
  const resolved: string[] = [];
  const prober = new Prober(store, {
    clock,
    httpFor: () => http,
    resolve: async (host) => {
      resolved.push(host);
      return '192.0.2.10';
    },
    onTransition: (t) => transitions.push(t),
    onProbe: (name, ok, ms) => probes.push({ name, ok, ms }),
    random: () => 0.5, // no jitter unless a test asks for it
    ...deps,
  });
  return { clock, store, state, prober, transitions, probes, resolved };
}

const modelState = (store: Datastore, backend: string, model: string) => store.views().find((v) => v.name === backend)?.models.get(model)?.state;

describe('Prober', () => {
  it('probes at start, records the snapshot, then keeps the normal interval', async () => {
    const { clock, store, state, prober, probes } = setup();
    prober.start();
    await clock.advance(0);
    expect(state.gets).toBe(1);
    expect(modelState(store, 'a', 'm')).toBe('warm');
    expect(store.status('a')).toMatchObject({ healthy: true, lastProbeAt: clock.t });
    expect(probes).toEqual([{ name: 'a', ok: true, ms: 0 }]);
    expect(clock.pending()).toEqual([1000]);
    await clock.advance(1000);
    expect(state.gets).toBe(2);
    await clock.advance(999);
    expect(state.gets).toBe(2);
  });

  it('jitter keeps every delay within ±10 % of the interval', async () => {
    const randoms = [0, 0.25, 0.5, 0.75, 0.999999];
    let i = 0;
    const { clock, prober } = setup(undefined, { random: () => randoms[i++ % randoms.length] ?? 0.5 });
    prober.start();
    const delays: number[] = [];
    for (let n = 0; n < randoms.length; n++) {
      await clock.advance(0);
      const [delay = NaN] = clock.pending();
      delays.push(delay);
      await clock.advance(delay);
    }
    for (const d of delays) {
      expect(d).toBeGreaterThanOrEqual(900);
      expect(d).toBeLessThanOrEqual(1100);
    }
    expect(delays[0]).toBe(900);
    expect(delays[4]).toBe(1100);
    expect(new Set(delays).size).toBe(randoms.length);
  });

  it('single-flight: one probe at a time, however it is asked for', async () => {
    const { clock, state, prober } = setup();
    state.answer = 'hang';
    prober.start();
    await clock.advance(0);
    expect(state.gets).toBe(1);
    const first = prober.probeNow('a');
    const second = prober.probeNow('a');
    expect(first).toBe(second);
    // No timer is pending while a probe runs, so nothing else can start one.
    expect(clock.pending().filter((d) => d !== PROBE.timeout_ms * PROBE_DEADLINE_TIMEOUTS)).toEqual([]);
    await settle();
    expect(state.gets).toBe(1);
    for (const release of state.release.splice(0)) release();
    await first;
    expect(state.gets).toBe(1);
    expect(prober.state('a')?.probing).toBe(false);
  });

  it('backs off exponentially while failing, capped at max_backoff_ms; first success restores the interval', async () => {
    const { clock, store, state, prober, probes } = setup();
    state.answer = new Error('connect ECONNREFUSED 10.0.0.1:8000');
    prober.start();
    const delays: number[] = [];
    for (let n = 0; n < 6; n++) {
      await clock.advance(0);
      const [delay = NaN] = clock.pending();
      delays.push(delay);
      await clock.advance(delay);
    }
    expect(delays).toEqual([1000, 2000, 4000, 8000, 8000, 8000]);
    expect(store.status('a')).toMatchObject({ healthy: false });
    expect(store.status('a')?.failure).toContain('ECONNREFUSED');
    expect(probes.every((p) => !p.ok)).toBe(true);
    state.answer = UP;
    await clock.advance(0);
    await clock.advance(clock.pending()[0] ?? NaN);
    expect(store.status('a')?.healthy).toBe(true);
    expect(clock.pending()).toEqual([1000]);
    expect(prober.state('a')?.failures).toBe(0);
  });

  it('backoff delays are jittered too, and never exceed the cap by more than the jitter', async () => {
    const { clock, state, prober } = setup(undefined, { random: () => 0.999999 });
    state.answer = new Error('down');
    prober.start();
    for (let n = 0; n < 8; n++) {
      await clock.advance(0);
      const [delay = NaN] = clock.pending();
      expect(delay).toBeLessThanOrEqual(8000 * 1.1);
      await clock.advance(delay);
    }
    expect(clock.pending()[0]).toBe(8800);
  });

  it('negative cache: a failing backend is not probed again before its backoff, even on request', async () => {
    const { clock, state, prober } = setup();
    state.answer = new Error('down');
    prober.start();
    await clock.advance(0);
    await clock.advance(1000); // second failure: next due in 2000
    expect(state.gets).toBe(2);
    await clock.advance(1500);
    await prober.probeNow('a');
    expect(state.gets).toBe(2);
    await clock.advance(500);
    expect(state.gets).toBe(3);
    // A healthy backend is probed on request at once.
    state.answer = UP;
    await clock.advance(4000);
    const before = state.gets;
    await prober.probeNow('a');
    expect(state.gets).toBe(before + 1);
  });

  it('transitions are reported once, not on every identical probe', async () => {
    const { clock, state, prober, transitions } = setup();
    prober.start();
    for (let n = 0; n < 5; n++) await clock.advance(1000);
    expect(transitions).toEqual([{ backend: 'a', kind: 'model', model: 'm', from: 'cold', to: 'warm' }]);
    state.answer = new Error('down');
    await clock.advance(1000 + 2000 + 4000 + 8000);
    expect(transitions.slice(1)).toEqual([{ backend: 'a', kind: 'health', from: 'up', to: 'down' }]);
    state.answer = UP;
    await clock.advance(8000);
    await clock.advance(1000);
    await clock.advance(1000);
    expect(transitions.slice(2)).toEqual([{ backend: 'a', kind: 'health', from: 'down', to: 'up' }]);
  });

  it('resolves hostnames off the request path and stores ip:port; IP literals are stored as they are', async () => {
    const { clock, store, prober, resolved } = setup([
      { name: 'named', url: 'http://gpu-box.lan:8080', models: ['m'], probe: PROBE },
      { name: 'literal', url: 'http://10.0.0.9', models: ['m'], probe: PROBE },
      { name: 'v6', url: 'http://[fd00::5]:11434', models: ['m'], probe: PROBE },
    ]);
    prober.start();
    await clock.advance(0);
    expect(store.address('named')).toBe('192.0.2.10:8080');
    expect(store.address('literal')).toBe('10.0.0.9:80');
    expect(store.address('v6')).toBe('[fd00::5]:11434');
    expect(resolved).toEqual(['gpu-box.lan']);
    // Healthy: looked up again only after RESOLVE_EVERY_MS.
    await clock.advance(RESOLVE_EVERY_MS - 1000);
    expect(resolved).toHaveLength(1);
    await clock.advance(2000);
    expect(resolved).toHaveLength(2);
  });

  it('a failed lookup fails the probe without any GET', async () => {
    const { clock, store, state, prober, probes } = setup([{ name: 'named', url: 'http://gone.lan:8080', models: ['m'], probe: PROBE }], {
      resolve: () => Promise.reject(new Error('getaddrinfo ENOTFOUND gone.lan')),
    });
    prober.start();
    await clock.advance(0);
    expect(state.gets).toBe(0);
    expect(store.status('named')).toMatchObject({ healthy: false });
    expect(store.status('named')?.failure).toContain('ENOTFOUND');
    expect(probes[0]?.ok).toBe(false);
  });

  it('a probe that never settles is cut off by the deadline and counted as a failure', async () => {
    const { clock, store, state, prober, probes } = setup();
    state.answer = 'hang';
    prober.start();
    await clock.advance(PROBE.timeout_ms * PROBE_DEADLINE_TIMEOUTS - 1);
    expect(prober.state('a')?.probing).toBe(true);
    await clock.advance(1);
    expect(prober.state('a')?.probing).toBe(false);
    expect(store.status('a')?.failure).toMatch(/longer than 300 ms/);
    expect(probes).toEqual([{ name: 'a', ok: false, ms: 300 }]);
    expect(clock.pending()).toEqual([1000]);
  });

  it('a server that is loading is unhealthy but not failing: normal interval, load tracked', async () => {
    const loading = json(503, { error: { message: 'Loading model', type: 'unavailable_error', code: 503 } });
    const models = json(200, { data: [{ id: 'm', meta: null }] });
    let ready = false;
    const http: ProbeHttp = {
      get: async (p) => {
        if (p === '/v1/models') return ready ? json(200, { data: [{ id: 'm', meta: { size: 1 } }] }) : models;
        if (p === '/health') return ready ? json(200, { status: 'ok' }) : loading;
        return loading;
      },
    };
    const { clock, store, prober, probes, transitions } = setup([{ name: 'ls', kind: 'llama-server', url: 'http://10.0.0.2:8080', models: ['m'], probe: PROBE }], {
      httpFor: () => http,
    });
    prober.start();
    await clock.advance(0);
    expect(store.status('ls')).toMatchObject({ healthy: false, failure: 'Loading model' });
    expect(modelState(store, 'ls', 'm')).toBe('loading');
    expect(probes[0]?.ok).toBe(true);
    expect(clock.pending()).toEqual([1000]);
    ready = true;
    await clock.advance(1000);
    expect(store.status('ls')?.healthy).toBe(true);
    expect(transitions).toContainEqual({ backend: 'ls', kind: 'model', model: 'm', from: 'loading', to: 'warm', loadMs: 1000 });
  });

  it('follows policy reloads: new backends probed at once, removed ones dropped, changed ones start afresh', async () => {
    const { clock, store, state, prober } = setup();
    prober.start();
    await clock.advance(0);
    expect(state.gets).toBe(1);
    prober.setPolicy(
      Policy.parse({
        backends: [
          { name: 'a', url: 'http://10.0.0.1:9000', models: ['m'], probe: PROBE },
          { name: 'b', url: 'http://10.0.0.3:8000', models: ['m'], probe: PROBE },
        ],
      }),
    );
    await clock.advance(0);
    expect(state.gets).toBe(3);
    expect(store.address('a')).toBe('10.0.0.1:9000');
    expect(clock.pending()).toEqual([1000, 1000]);
    store.setBackends(Policy.parse({ backends: [{ name: 'b', url: 'http://10.0.0.3:8000', models: ['m'], probe: PROBE }] }));
    prober.sync();
    expect(clock.pending()).toEqual([1000]);
    expect(prober.state('a')).toBeUndefined();
    // An unchanged backend keeps its schedule across a reload.
    prober.sync();
    expect(clock.pending()).toEqual([1000]);
  });

  it('a probe of a backend removed while it ran is discarded', async () => {
    const { clock, store, state, prober, probes } = setup([
      { name: 'a', url: 'http://10.0.0.1:8000', models: ['m'], probe: PROBE },
      { name: 'keep', url: 'http://10.0.0.4:8000', models: ['m'], probe: PROBE },
    ]);
    state.answer = 'hang';
    prober.start();
    await clock.advance(0);
    store.setBackends(Policy.parse({ backends: [{ name: 'keep', url: 'http://10.0.0.4:8000', models: ['m'], probe: PROBE }] }));
    prober.sync();
    for (const release of state.release.splice(0)) release();
    await settle();
    expect(probes.map((p) => p.name)).toEqual(['keep']);
    expect(prober.state('a')).toBeUndefined();
  });

  it('a datastore that throws neither escapes a timer nor stops the schedule', async () => {
    const { clock, store, state, prober, probes } = setup();
    store.applyProbe = () => {
      throw new Error('datastore broke');
    };
    prober.start();
    await clock.advance(0);
    expect(probes).toEqual([{ name: 'a', ok: false, ms: 0 }]);
    expect(clock.pending()).toEqual([1000]);
    await clock.advance(1000);
    expect(state.gets).toBe(2);
    expect(clock.pending()).toEqual([2000]);
  });

  it('stop cancels every timer; a throwing callback does not stop probing', async () => {
    const { clock, state, prober } = setup(undefined, {
      onTransition: () => {
        throw new Error('log sink broke');
      },
    });
    prober.start();
    await clock.advance(0);
    await clock.advance(1000);
    expect(state.gets).toBe(2);
    prober.stop();
    expect(clock.pending()).toEqual([]);
    await clock.advance(10_000);
    expect(state.gets).toBe(2);
    // probeNow still works after stop (one-off), without rescheduling.
    await prober.probeNow('a');
    expect(state.gets).toBe(3);
    expect(clock.pending()).toEqual([]);
  });
});

describe('Prober: a probe is as old as its start', () => {
  it('a probe under way when a request starts a load does not report that model cold when it lands', async () => {
    const answers: Array<() => void> = [];
    const coldSnapshot = { healthy: true, knowsLoaded: true, loading: false, models: [] };
    const adapterFor = () => ({
      kind: 'openai' as const,
      probe: () => new Promise<typeof coldSnapshot>((resolve) => answers.push(() => resolve(coldSnapshot))),
    });
    const { clock, store, prober, transitions } = setup(undefined, { adapterFor });
    prober.start();
    await clock.advance(0); // the probe starts and waits for the server
    await clock.advance(50);
    store.acquire('a', 'm', clock.now()); // a dispatch starts a load while the probe is out
    store.release('a', 'm', clock.now()); // even with the request gone, the probe predates the load
    await clock.advance(50);
    answers.shift()!();
    await clock.advance(0);
    expect(modelState(store, 'a', 'm')).toBe('loading');
    expect(transitions.filter((t) => t.kind === 'model')).toEqual([]);
    // The next probe started after the load: with nothing in flight and no load time learned, the server is believed.
    await clock.advance(1000);
    answers.shift()!();
    await clock.advance(0);
    expect(modelState(store, 'a', 'm')).toBe('cold');
  });
});
