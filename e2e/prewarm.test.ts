// Hedged cold start through real Envoy: one model on two simulated llama-swap
// boxes with one slot each. A warm-up request loads the model and is timed (a
// hedge bets on learned figures only), then it is unloaded. The first request
// starts a load on one box and holds its only slot; the second may not start
// the same load elsewhere (one load per model), and its wait there (the rest
// of the load plus the first request) exceeds a load on the idle box, so warmroute pre-warms the idle box
// through llama-swap's own /upstream/{model}/health, off the request path, and
// serves the second request from whichever is ready first. Invariants only:
// both served, the pre-warm counted with its result, nothing leaked.
import { afterAll, describe, expect, it } from 'vitest';
import { eventually, startGateway, type Gateway } from './harness.ts';
import type { SimSpec } from '../sim/index.ts';

const box = (): SimSpec => ({
  kind: 'llama-swap',
  models: [{ id: 'm', sizeGB: 2 }],
  maxLoaded: 1,
  slots: 1,
  ttftMs: 20,
  tokensPerSec: 20,
  defaultMaxTokens: 100, // ~5 s of generation: the first request holds its slot well past the second's arrival
  loadInitMs: 300,
  loadGBps: 4,
});

const gateways: Gateway[] = [];
afterAll(async () => {
  for (const g of gateways) await g.stop().catch(() => {});
});

async function metric(adminPort: number, name: string): Promise<string[]> {
  const text = await (await fetch(`http://127.0.0.1:${adminPort}/metrics`)).text();
  return text.split('\n').filter((l) => l.startsWith(name));
}

describe('hedged cold start through Envoy', () => {
  it('pre-warms the idle box through the server load call; every request is served; the pre-warm is counted; nothing leaks', async () => {
    const gw = await startGateway({
      sims: { a: box(), b: box() },
      policy: {
        backends: ['a', 'b'].map((name) => ({ name, kind: 'llama-swap' as const, url: `sim:${name}`, models: ['m'], max_models: 1, slots: 1, probe: { interval_ms: 200 } })),
      },
    });
    gateways.push(gw);
    const send = () =>
      fetch(`${gw.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'x' }] }),
      });
    const sidecar = gw.sidecar!;
    // A hedge bets a load on learned figures: one request first loads m and is timed; then its box unloads it
    // (llama-swap's /unload) and the probes see both boxes cold again.
    const warmUp = await send();
    expect(warmUp.status).toBe(200);
    await warmUp.text();
    const learnedOn = sidecar.scheduler.recentDecisions()[0]!.backend;
    expect((await fetch(`${gw.sims[learnedOn]!.url}/unload`)).status).toBe(200);
    await eventually(() => sidecar.store.views().every((v) => v.models.get('m')?.state === 'cold'), 10_000, 'm cold on both boxes');
    const first = send();
    await eventually(() => sidecar.control.running() === 1, 10_000, 'the first request to be dispatched');
    const second = send();
    const responses = await Promise.all([first, second]);
    const statuses = responses.map((r) => r.status);
    for (const r of responses) await r.text();
    expect(statuses).toEqual([200, 200]);

    const decisions = sidecar.scheduler.recentDecisions();
    expect(decisions).toHaveLength(3);
    // One pre-warm, of m on the box the first request did not take, ended with a result.
    const other = decisions[1]!.backend === 'a' ? 'b' : 'a';
    await eventually(async () => (await metric(sidecar.adminPort, 'warmroute_prewarms_total{')).length > 0, 15_000, 'the pre-warm result');
    const lines = await metric(sidecar.adminPort, 'warmroute_prewarms_total{');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`backend="${other}",model="m",result="(ok|cancelled)"\\} 1$`));
    // The idle box loaded m exactly once since the warm-up (the pre-warm and a request sent there share that load).
    const loadsBefore = other === learnedOn ? 1 : 0;
    await eventually(() => gw.sims[other]!.stats().loads === loadsBefore + 1, 15_000, `m loaded on ${other}`);
    expect(gw.sims[other]!.stats().loads).toBe(loadsBefore + 1);

    await eventually(() => sidecar.store.totalInFlight() === 0, 10_000, 'in-flight to return to 0');
    expect([sidecar.control.queued(), sidecar.store.releaseUnderflows]).toEqual([0, 0]);
  }, 60_000);
});
