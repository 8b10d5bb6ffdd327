// warmroute as the endpoint picker (EPP) of a Gateway API Inference Extension
// InferencePool, behind a real Envoy configured the way such gateways
// configure themselves (sidecar/epp/gateway-config.ts):
//  - the GIE reference data plane: ext_proc with every phase SEND and both
//    bodies FULL_DUPLEX_STREAMED, an ORIGINAL_DST cluster that connects to the
//    `x-gateway-destination-endpoint` header's ip:port;
//  - Envoy Gateway's shape: BUFFERED request body, the pool's endpoints in a
//    cluster whose override_host load balancer reads the picked list (header or
//    `envoy.lb` metadata) and whose retries walk its fallbacks.
// The pool's endpoints are simulated llama-swap servers. The subset hint the
// gateway would compute is injected from a test header (header_to_metadata),
// which Envoy forwards to the picker as `envoy.lb.subset_hint` filter metadata.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startGateway, type Gateway } from './harness.ts';
import { chatDeltas, expectJsonError, post, readSse, servedBy } from './helpers-slice.ts';
import { renderGatewayConfig, SUBSET_TEST_HEADER, type GatewayShape } from '../sidecar/epp/gateway-config.ts';
import type { SimSpec } from '../sim/index.ts';

const MESSAGES = [{ role: 'user', content: 'hi' }];
const swapBox = (warm: boolean): SimSpec => ({
  kind: 'llama-swap',
  models: [
    { id: 'm1', sizeGB: 1, loaded: warm },
    { id: 'm2', sizeGB: 1 },
  ],
  maxLoaded: 1,
  slots: 2,
  ttftMs: 10,
  tokensPerSec: 200,
  defaultMaxTokens: 8,
  loadInitMs: 300,
});

// ORIGINAL_DST takes one ip:port only (a list is `original_dst_host_invalid`), so no fallbacks there.
const shapes: Array<{ name: string; shape: Omit<GatewayShape, 'pickers'>; probeMs: number; fallbacks: number }> = [
  { name: 'GIE reference data plane (FULL_DUPLEX_STREAMED, ORIGINAL_DST header)', shape: { lb: 'original_dst', body: 'FULL_DUPLEX_STREAMED', subsetFromHeader: true }, probeMs: 200, fallbacks: 0 },
  // Probes are slow here so a killed endpoint stays "healthy" to the picker long enough to test the gateway's fallback.
  { name: 'Envoy Gateway shape (BUFFERED, override_host with fallbacks)', shape: { lb: 'override_host', body: 'BUFFERED', subsetFromHeader: true }, probeMs: 60_000, fallbacks: 2 },
];

for (const { name, shape, probeMs, fallbacks } of shapes) {
  describe(`EPP mode behind ${name}`, () => {
    let gw: Gateway;
    const addr = (sim: string) => new URL(gw.sims[sim]!.url).host;

    beforeAll(async () => {
      gw = await startGateway({
        sims: { a: swapBox(true), b: swapBox(false), c: swapBox(false) },
        policy: {
          envoy: { mode: 'epp', epp_fallbacks: fallbacks },
          backends: ['a', 'b', 'c'].map((n) => ({ name: n, kind: 'llama-swap' as const, url: `sim:${n}`, models: ['m1', 'm2'], max_models: 1, probe: { interval_ms: probeMs } })),
        },
        envoyConfig: (policy) => renderGatewayConfig(policy, { ...shape, pickers: [`127.0.0.1:${policy.sidecar.grpc_port}`] }),
      });
      // The first probe of every endpoint has landed: m1 is warm on a only.
      await eventually(() => gw.sidecar!.store.views().filter((v) => v.healthy).length === 3 && gw.sidecar!.store.views().find((v) => v.name === 'a')!.models.get('m1')?.state === 'warm', 15_000, 'first probes');
    }, 60_000);
    afterAll(async () => {
      await gw?.stop();
    });

    it('the rendered gateway config has the EPP filter and the pool cluster of this shape', async () => {
      const { readFileSync } = await import('node:fs');
      const cfg = readFileSync(gw.envoy.configPath, 'utf8');
      expect(cfg).toContain(`request_body_mode: ${shape.body}`);
      expect(cfg).toContain(shape.lb === 'original_dst' ? 'http_header_name: x-gateway-destination-endpoint' : 'envoy.load_balancing_policies.override_host');
      expect(cfg).toContain('envoy.lb.subset_hint');
    });

    it('streams chat completions from the endpoint where the model is warm', async () => {
      const { result, served } = await servedBy(gw, async () => {
        const out: string[][] = [];
        for (let i = 0; i < 3; i++) {
          const res = await post(gw.url + '/v1/chat/completions', { model: 'm1', messages: MESSAGES, stream: true });
          expect(res.status).toBe(200);
          const { events } = await readSse(res);
          expect(events.at(-1)!.data).toBe('[DONE]');
          out.push(chatDeltas(events));
        }
        return out;
      });
      expect(result.map((d) => d.length)).toEqual([8, 8, 8]);
      expect(served).toEqual({ a: 3 });
      const decisions = gw.sidecar!.scheduler.recentDecisions().slice(-3);
      expect(decisions.map((d) => [d.backend, d.reason])).toEqual([
        ['a', 'warm'],
        ['a', 'warm'],
        ['a', 'warm'],
      ]);
    });

    it('a non-streaming request gets the whole JSON answer back through the picker', async () => {
      const res = await post(gw.url + '/v1/chat/completions', { model: 'm1', messages: MESSAGES });
      expect(res.status).toBe(200);
      const body = (await res.json()) as { choices: Array<{ message: { content: string } }> };
      expect(body.choices[0]!.message.content.length).toBeGreaterThan(0);
    });

    it("a client's own x-gateway-destination-endpoint does not steer the request", async () => {
      const { served } = await servedBy(gw, async () => {
        const res = await post(gw.url + '/v1/chat/completions', { model: 'm1', messages: MESSAGES }, { 'x-gateway-destination-endpoint': addr('c') });
        expect(res.status).toBe(200);
        await res.arrayBuffer();
      });
      expect(served).toEqual({ a: 1 });
    });

    it("honours the gateway's endpoint subset: only b or c, though m1 is warm on a", async () => {
      const { served } = await servedBy(gw, async () => {
        const res = await post(gw.url + '/v1/chat/completions', { model: 'm1', messages: MESSAGES }, { [SUBSET_TEST_HEADER]: `${addr('b')}, ${addr('c')}` });
        expect(res.status).toBe(200);
        await res.arrayBuffer();
      });
      expect(Object.keys(served)).toHaveLength(1);
      expect(['b', 'c']).toContain(Object.keys(served)[0]);
      expect(served.a).toBeUndefined();
    });

    it('a subset naming no endpoint warmroute knows gets a JSON 503', async () => {
      const res = await post(gw.url + '/v1/chat/completions', { model: 'm1', messages: MESSAGES }, { [SUBSET_TEST_HEADER]: '10.255.255.1:8000' });
      await expectJsonError(res, 503, 'no_healthy_backend');
      expect(res.headers.get('retry-after')).toBe('1');
    });

    it('refusals are OpenAI-style JSON: unknown model, bad body, unknown path', async () => {
      await expectJsonError(await post(gw.url + '/v1/chat/completions', { model: 'nope', messages: MESSAGES }), 404, 'model_not_found');
      await expectJsonError(await post(gw.url + '/v1/chat/completions', '{"model": '), 400);
      await expectJsonError(await post(gw.url + '/v2/unknown', { model: 'm1' }), 404, 'unknown_endpoint');
    });

    it('finishes every request: nothing stays in flight or queued', async () => {
      await eventually(() => gw.sidecar!.control.running() === 0 && gw.sidecar!.control.queued() === 0, 10_000, 'requests finished');
      expect(gw.sidecar!.store.totalInFlight()).toBe(0);
    });

    if (shape.lb === 'override_host') {
      it('when the picked endpoint refuses connections, the gateway walks the fallback list', async () => {
        // m1 is warm on a and on the subset test's endpoint; close the one the picker used last.
        const victim = gw.sidecar!.scheduler.recentDecisions().at(-1)!.backend;
        await gw.sims[victim]!.close();
        let pickedVictim = 0;
        for (let i = 0; i < 4; i++) {
          const { served } = await servedBy(gw, async () => {
            const res = await post(gw.url + '/v1/chat/completions', { model: 'm1', messages: MESSAGES });
            expect(res.status).toBe(200);
            await res.arrayBuffer();
          });
          expect(Object.keys(served)).toHaveLength(1);
          expect(served[victim]).toBeUndefined();
          if (gw.sidecar!.scheduler.recentDecisions().at(-1)!.backend === victim) pickedVictim++;
        }
        // The picker believed the closed endpoint healthy (no probe since) and picked it first once; the gateway's
        // failover told it otherwise (the upstream that answered was another), so it was never picked again.
        expect(pickedVictim).toBe(1);
        expect(gw.sidecar!.store.views().find((v) => v.name === victim)!.healthy).toBe(false);
      });
    }
  });
}
