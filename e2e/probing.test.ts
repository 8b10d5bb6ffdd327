// Probing through the whole stack: a model's state changes on a simulated
// backend behind the gateway's back (cold → loading → warm), the sidecar sees
// each state within one probe interval, and routing follows.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startGateway, type Gateway } from './harness.ts';

const PROBE_MS = 200;
let gw: Gateway;
const stateOn = (backend: string, model: string) => gw.sidecar!.store.views().find((v) => v.name === backend)?.models.get(model)?.state;

describe('routing follows probed model state', () => {
  beforeAll(async () => {
    const omlx = { kind: 'omlx' as const, models: [{ id: 'x', sizeGB: 2 }], loadInitMs: 300, loadGBps: 2, defaultMaxTokens: 2 };
    gw = await startGateway({
      sims: { a: omlx, b: omlx },
      policy: {
        backends: ['a', 'b'].map((name) => ({ name, kind: 'omlx' as const, url: `sim:${name}`, models: ['x'], probe: { interval_ms: PROBE_MS } })),
      },
    });
    await eventually(() => stateOn('a', 'x') === 'cold' && stateOn('b', 'x') === 'cold', 3000, 'first probes');
  });
  afterAll(() => gw.stop());

  it('sees cold → loading → warm on b, each within one probe interval', async () => {
    // Someone else's request makes b load x (not through the gateway).
    const direct = fetch(`${gw.sims.b!.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'x', messages: [{ role: 'user', content: 'warm up' }] }),
    });
    const slack = PROBE_MS * 1.1 + 150;
    await eventually(() => gw.sims.b!.stats().loading.includes('x'), 2000, 'b to start loading');
    const loadingAt = Date.now();
    await eventually(() => stateOn('b', 'x') === 'loading', slack, 'the sidecar to see the load');
    expect(Date.now() - loadingAt).toBeLessThanOrEqual(slack);
    await eventually(() => gw.sims.b!.stats().loaded.includes('x'), 5000, 'b to finish loading');
    const warmAt = Date.now();
    await eventually(() => stateOn('b', 'x') === 'warm', slack, 'the sidecar to see x warm on b');
    expect(Date.now() - warmAt).toBeLessThanOrEqual(slack);
    expect(stateOn('a', 'x')).toBe('cold');
    expect((await direct).status).toBe(200);
  });

  it('then sends requests for x to b, where it is warm, and loads nothing on a', async () => {
    const before = gw.sims.b!.stats().requests;
    for (let i = 0; i < 4; i++) {
      const r = await fetch(`${gw.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-session-id': `s${i}` },
        body: JSON.stringify({ model: 'x', messages: [{ role: 'user', content: `q${i}` }] }),
      });
      expect(r.status).toBe(200);
      await r.text();
    }
    expect(gw.sims.b!.stats().requests - before).toBe(4);
    expect(gw.sims.a!.stats()).toMatchObject({ requests: 0, loads: 0 });
  });
});
