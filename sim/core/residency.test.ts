import { afterEach, describe, expect, it } from 'vitest';
import { Residency, type ModelState } from './residency.ts';

const lifetimes: AbortController[] = [];
afterEach(() => {
  for (const l of lifetimes.splice(0)) l.abort();
});

function residency(maxLoaded: number, loaded: string[] = [], loadMs = 20): Residency {
  const lifetime = new AbortController();
  lifetimes.push(lifetime);
  return new Residency({
    models: ['a', 'b', 'c'].map((id) => ({ id, sizeGB: 1, loaded: loaded.includes(id) })),
    maxLoaded,
    loadMs: () => loadMs,
    unloadMs: 1,
    lifetime: lifetime.signal,
  });
}

describe('Residency', () => {
  it('goes cold → loading → warm, taking the load time', async () => {
    const r = residency(2);
    const seen: ModelState[] = [];
    r.onChange((m) => m.id === 'a' && seen.push(m.state));
    const t0 = performance.now();
    const release = await r.acquire('a');
    expect(performance.now() - t0).toBeGreaterThanOrEqual(15);
    expect(seen).toEqual(['loading', 'warm']);
    expect(r.get('a').inUse).toBe(1);
    release();
    expect(r.get('a').inUse).toBe(0);
    expect(r.loads).toBe(1);
  });

  it('concurrent requests for a cold model share one load', async () => {
    const r = residency(1);
    const releases = await Promise.all([r.acquire('a'), r.acquire('a'), r.acquire('a')]);
    expect(r.loads).toBe(1);
    expect(r.get('a').inUse).toBe(3);
    releases.forEach((rel) => rel());
  });

  it('evicts the least recently used model at maxLoaded', async () => {
    const r = residency(2, ['a', 'b']);
    (await r.acquire('a'))(); // a is now more recent than b
    (await r.acquire('c'))();
    expect(r.resident().map((m) => m.id).sort()).toEqual(['a', 'c']);
    expect(r.evictions).toBe(1);
    expect(r.get('b').state).toBe('cold');
  });

  it('prefers an idle victim over a busy, older one', async () => {
    const r = residency(2, ['a', 'b']);
    const holdA = await r.acquire('a');
    (await r.acquire('b'))();
    const first = r.list().find((m) => m.id === 'a');
    first!.lastUsed = -1; // a is the LRU, but it is busy
    (await r.acquire('c'))();
    expect(r.get('a').state).toBe('warm');
    expect(r.get('b').state).toBe('cold');
    holdA();
  });

  it('a busy model drains before it is evicted; its new requests wait for the reload', async () => {
    const r = residency(1, ['a']);
    const holdA = await r.acquire('a');
    let bReady = false;
    const b = r.acquire('b').then((rel) => ((bReady = true), rel));
    await new Promise((res) => setTimeout(res, 30));
    expect(r.get('a').state).toBe('draining');
    expect(bReady).toBe(false);
    // A new request for the draining model queues behind the swap.
    let aAgain = false;
    const a2 = r.acquire('a').then((rel) => ((aAgain = true), rel));
    holdA();
    const releaseB = await b;
    // b is resident and held; the queued swap back to a already marks it draining.
    expect(r.resident().map((m) => m.id)).toEqual(['b']);
    expect(r.get('b').state).toBe('draining');
    expect(aAgain).toBe(false);
    releaseB();
    (await a2)();
    expect(r.get('a').state).toBe('warm');
    expect(r.evictions).toBe(2);
    expect(r.loads).toBe(2);
  });

  it('an aborted waiter does not get the model, the load still completes', async () => {
    const r = residency(1);
    const ctrl = new AbortController();
    const p = r.acquire('a', ctrl.signal);
    ctrl.abort();
    await expect(p).rejects.toBeDefined();
    await r.load('a');
    expect(r.get('a')).toMatchObject({ state: 'warm', inUse: 0 });
  });

  it('whenWarm waits without loading', async () => {
    const r = residency(1);
    let warm = false;
    const p = r.whenWarm('a').then(() => (warm = true));
    await new Promise((res) => setTimeout(res, 30));
    expect(warm).toBe(false);
    expect(r.get('a').state).toBe('cold');
    await r.load('a');
    await p;
    expect(warm).toBe(true);
  });
});
