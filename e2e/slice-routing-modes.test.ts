// Both ways the sidecar tells Envoy the upstream (ORIGINAL_DST with
// `x-warmroute-endpoint: ip:port`, and `cluster_header` with
// `x-warmroute-cluster: <cluster>`) serve a streaming chat completion on the
// backend that lists the model, and a client can never pick the backend by
// sending those headers itself.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startGateway, type Gateway } from './harness.ts';
import { chatDeltas, expectJsonError, post, readSse, servedBy } from './helpers-slice.ts';

const MESSAGES = [{ role: 'user', content: 'hi' }];

const sims = () => ({
  a: { kind: 'openai' as const, models: [{ id: 'm1', loaded: true }], defaultMaxTokens: 8, tokensPerSec: 100, ttftMs: 10 },
  b: { kind: 'openai' as const, models: [{ id: 'm2', loaded: true }], defaultMaxTokens: 8, tokensPerSec: 100, ttftMs: 10 },
});
const backends = [
  { name: 'a', kind: 'openai' as const, url: 'sim:a', models: ['m1'] },
  { name: 'b', kind: 'openai' as const, url: 'sim:b', models: ['m2'] },
];

async function streamChat(gw: Gateway, model: string, headers: Record<string, string> = {}): Promise<string[]> {
  const res = await post(gw.url + '/v1/chat/completions', { model, messages: MESSAGES, stream: true }, headers);
  expect(res.status, `status for ${model}`).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
  const { events } = await readSse(res);
  expect(events.at(-1)!.data).toBe('[DONE]');
  return chatDeltas(events);
}

for (const mode of ['original_dst', 'cluster_header'] as const) {
  describe(`envoy.mode = ${mode}`, () => {
    let gw: Gateway;
    beforeAll(async () => {
      gw = await startGateway({ sims: sims(), policy: { backends, envoy: { mode } }, probe: false });
    }, 60_000);
    afterAll(async () => {
      await gw?.stop();
    });

    it('the rendered Envoy config uses this mode', async () => {
      const { readFileSync } = await import('node:fs');
      const cfg = readFileSync(gw.envoy.configPath, 'utf8');
      if (mode === 'original_dst') expect(cfg).toContain('ORIGINAL_DST');
      else expect(cfg).toContain('cluster_header: x-warmroute-cluster');
    });

    it('streams a chat completion for m1 from a and for m2 from b', async () => {
      const r1 = await servedBy(gw, () => streamChat(gw, 'm1'));
      expect(r1.result).toHaveLength(8);
      expect(r1.served).toEqual({ a: 1 });
      const r2 = await servedBy(gw, () => streamChat(gw, 'm2'));
      expect(r2.result).toHaveLength(8);
      expect(r2.served).toEqual({ b: 1 });
    });

    it("a client's x-warmroute-endpoint pointing at the other backend is ignored", async () => {
      const bAddr = new URL(gw.sims.b!.url).host;
      const aAddr = new URL(gw.sims.a!.url).host;
      const r1 = await servedBy(gw, () => streamChat(gw, 'm1', { 'x-warmroute-endpoint': bAddr }));
      expect(r1.served).toEqual({ a: 1 });
      const r2 = await servedBy(gw, () => streamChat(gw, 'm2', { 'X-Warmroute-Endpoint': aAddr }));
      expect(r2.served).toEqual({ b: 1 });
    });

    it("a client's x-warmroute-cluster pointing at the other backend is ignored", async () => {
      const r1 = await servedBy(gw, () => streamChat(gw, 'm1', { 'x-warmroute-cluster': 'b' }));
      expect(r1.served).toEqual({ a: 1 });
      const r2 = await servedBy(gw, () => streamChat(gw, 'm2', { 'x-warmroute-cluster': 'a' }));
      expect(r2.served).toEqual({ b: 1 });
    });

    it('both headers at once, and arbitrary targets (an unused ip:port, an unknown cluster, Envoy\'s own sidecar cluster), are ignored', async () => {
      const spoofs: Array<Record<string, string>> = [
        { 'x-warmroute-endpoint': new URL(gw.sims.b!.url).host, 'x-warmroute-cluster': 'b' },
        { 'x-warmroute-endpoint': '127.0.0.1:1' },
        { 'x-warmroute-endpoint': `127.0.0.1:${gw.envoy.adminPort}` },
        { 'x-warmroute-cluster': 'no-such-cluster' },
        { 'x-warmroute-cluster': 'warmroute_sidecar' },
      ];
      for (const h of spoofs) {
        const r = await servedBy(gw, () => streamChat(gw, 'm1', h));
        expect(r.served, JSON.stringify(h)).toEqual({ a: 1 });
      }
    });

    it('a spoofed routing header cannot turn a refused request into a routed one', async () => {
      const r = await servedBy(gw, async () => {
        const res = await post(gw.url + '/v1/chat/completions', { model: 'not-listed', messages: MESSAGES }, { 'x-warmroute-endpoint': new URL(gw.sims.a!.url).host, 'x-warmroute-cluster': 'a' });
        await expectJsonError(res, 404, 'model_not_found');
      });
      expect(r.served).toEqual({});
    });

    it('accounting settles after all of the above', async () => {
      await eventually(() => gw.sidecar!.store.totalInFlight() === 0 && gw.sidecar!.control.running() === 0, 5000, 'in-flight 0');
    });
  });

  describe(`envoy.mode = ${mode}, failure_mode open, sidecar down (no decision made)`, () => {
    // Fail-open without a fallback: Envoy continues without the sidecar's answer.
    // The strip filter removes client routing headers, so the request must fall
    // to the default route (JSON 503), never to a backend the client named.
    let gw: Gateway;
    beforeAll(async () => {
      gw = await startGateway({ sims: sims(), policy: { backends, envoy: { mode, failure_mode: 'open' } }, noSidecar: true, probe: false });
    }, 60_000);
    afterAll(async () => {
      await gw?.stop();
    });

    it('a plain request gets the JSON 503 "no_route_decision" and reaches no backend', async () => {
      const r = await servedBy(gw, async () => {
        const res = await post(gw.url + '/v1/chat/completions', { model: 'm2', messages: MESSAGES });
        expect(res.status).toBe(503);
        return (await expectJsonError(res.clone(), 503)).error.code;
      });
      expect(r.served).toEqual({});
      // The config's own direct_response body names this case; Envoy's local_reply mapper must not overwrite it.
      expect(r.result).toBe('no_route_decision');
    });

    it('a client that names backend b in x-warmroute-cluster / x-warmroute-endpoint does not reach it', async () => {
      const r = await servedBy(gw, async () => {
        const res = await post(gw.url + '/v1/chat/completions', { model: 'm2', messages: MESSAGES }, { 'x-warmroute-cluster': 'b', 'x-warmroute-endpoint': new URL(gw.sims.b!.url).host });
        return { status: res.status, body: await res.text() };
      });
      expect(r.served, `client-chosen backend was used: ${r.result.status} ${r.result.body.slice(0, 120)}`).toEqual({});
      expect(r.result.status).toBe(503);
    });
  });

  describe(`envoy.mode = ${mode}, failure_mode open with fallback_backend a, sidecar down`, () => {
    let gw: Gateway;
    beforeAll(async () => {
      gw = await startGateway({ sims: sims(), policy: { backends, envoy: { mode, failure_mode: 'open', fallback_backend: 'a' } }, noSidecar: true, probe: false });
    }, 60_000);
    afterAll(async () => {
      await gw?.stop();
    });

    it('a plain request goes to the fallback', async () => {
      const r = await servedBy(gw, () => streamChat(gw, 'm1'));
      expect(r.served).toEqual({ a: 1 });
    });

    it('a client routing header naming b neither reaches b nor breaks the fallback', async () => {
      const r = await servedBy(gw, async () => {
        const res = await post(gw.url + '/v1/chat/completions', { model: 'm1', messages: MESSAGES }, { 'x-warmroute-cluster': 'b', 'x-warmroute-endpoint': new URL(gw.sims.b!.url).host });
        return { status: res.status, body: await res.text() };
      });
      expect(r.served, `got ${r.result.status} ${r.result.body.slice(0, 160)}`).toEqual({ a: 1 });
      expect(r.result.status).toBe(200);
    });
  });
}
