// Both Istio variants, run: a real Envoy with an Istio-shaped gateway or
// client-sidecar config (deploy/istio-proxy.ts) patched by the rendered EnvoyFilter
// (deploy/envoyfilter.ts), the real sidecar, and simulated backends behind
// the clusters Istio makes from the rendered ServiceEntries. Only cluster DNS
// is stood in for (the Service and ServiceEntry hosts resolve to loopback).
// It shows the patches work, not just parse: a request on the LLM host is
// routed by the sidecar to the backend that serves its model (through the
// official OpenAI SDK); a request on another host of the same listener never
// reaches the sidecar; a client-sent routing header changes nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import OpenAI from 'openai';
import { stringify } from 'yaml';
import { freePort, eventually } from '../e2e/harness.ts';
import { launchEnvoy, type RunningEnvoy } from '../sidecar/envoy/launch.ts';
import { startSidecar, type Sidecar } from '../sidecar/app.ts';
import { startSim, type RunningSim } from '../sim/index.ts';
import { Policy } from '../sidecar/policy/schema.ts';
import { renderIstio } from '../sidecar/envoy/mesh.ts';
import { applyEnvoyFilter, type ConfigPatch } from './envoyfilter.ts';
import { istioProxyBootstrap, resolveClusters } from './istio-proxy.ts';
import { fetchWithHost } from './host-fetch.ts';

const SIDECAR_HOST = 'warmroute.warmroute.svc.cluster.local';
const MAX_BODY = 3 * 1024 * 1024;
const VARIANTS = [
  { target: 'gateway', context: 'GATEWAY', LLM_HOST: 'llm.example.com', SHOP_HOST: 'shop.example.com' },
  { target: 'sidecar', context: 'SIDECAR_OUTBOUND', LLM_HOST: 'llm.agents.svc.cluster.local', SHOP_HOST: 'shop.agents.svc.cluster.local' },
] as const;

describe.each(VARIANTS)('Istio $target ($context) patched by the rendered EnvoyFilter', ({ target, context, LLM_HOST, SHOP_HOST }) => {
  let sims: Record<string, RunningSim> = {};
  let shop: Server | undefined;
  let shopHits = 0;
  let sidecar: Sidecar | undefined;
  let envoy: RunningEnvoy | undefined;
  let listenPort = 0;

  beforeAll(async () => {
    sims = {
      a: await startSim({ name: 'a', kind: 'openai', models: [{ id: 'm1', loaded: true }], defaultMaxTokens: 4, tokensPerSec: 200, ttftMs: 5 }),
      b: await startSim({ name: 'b', kind: 'openai', models: [{ id: 'm2', loaded: true }], defaultMaxTokens: 4, tokensPerSec: 200, ttftMs: 5 }),
    };
    shop = createServer((_req, res) => {
      shopHits++;
      res.writeHead(200, { 'content-type': 'text/plain' }).end('shop');
    });
    const shopPort = await freePort();
    await new Promise<void>((r) => shop!.listen(shopPort, '127.0.0.1', r));
    const [grpcPort, adminPort, envoyAdmin] = [await freePort(), await freePort(), await freePort()];
    listenPort = await freePort();

    const backends = Object.entries(sims).map(([name, s]) => ({ name, kind: 'openai' as const, url: s.url, models: s.spec.models.map((m) => m.id), cluster: `outbound|${s.port}||${name}.warmroute.internal` }));
    // The policy as it would sit in the ConfigMap...
    const meshPolicy = Policy.parse({ sidecar: { host: SIDECAR_HOST, bind_host: '0.0.0.0', admin_host: '0.0.0.0', grpc_port: grpcPort, admin_port: adminPort }, envoy: { mode: 'cluster_header', max_body_bytes: MAX_BODY }, backends });
    // ...and the same policy bound to loopback for this machine.
    sidecar = await startSidecar({ policy: { ...meshPolicy, sidecar: { ...meshPolicy.sidecar, bind_host: '127.0.0.1', admin_host: '127.0.0.1' } }, probe: false, log: () => {} });

    const docs = renderIstio(meshPolicy, target, { host: LLM_HOST });
    const bootstrap = istioProxyBootstrap(docs, meshPolicy, {
      context,
      listenHost: '127.0.0.1',
      listenPort,
      adminPort: envoyAdmin,
      other: { host: SHOP_HOST, cluster: `outbound|80||${SHOP_HOST}`, address: '127.0.0.1', port: shopPort },
    });
    const ef = docs.find((d) => d.kind === 'EnvoyFilter') as { spec: { configPatches: ConfigPatch[] } };
    expect(applyEnvoyFilter(bootstrap, ef.spec.configPatches, context).every((n) => n >= 1)).toBe(true);
    resolveClusters(bootstrap, { [SIDECAR_HOST]: '127.0.0.1' });
    envoy = await launchEnvoy(stringify(bootstrap, { lineWidth: 0, aliasDuplicateObjects: false }), envoyAdmin);
  }, 90_000);

  afterAll(async () => {
    await envoy?.stop();
    await sidecar?.close();
    for (const s of Object.values(sims)) await s.close();
    if (shop) await new Promise((r) => shop!.close(r));
  });

  const client = (headers: Record<string, string> = {}) => new OpenAI({ baseURL: `http://127.0.0.1:${listenPort}/v1`, apiKey: 'unused', defaultHeaders: headers, fetch: fetchWithHost(LLM_HOST), maxRetries: 0, timeout: 30_000 });
  const served = () => Object.fromEntries(Object.entries(sims).map(([k, s]) => [k, s.stats().requests]));
  const extProcStreams = async () => {
    const text = await (await fetch(`http://127.0.0.1:${envoy!.adminPort}/stats?filter=ext_proc\\.streams_started`)).text();
    return [...text.matchAll(/: (\d+)/g)].reduce((sum, m) => sum + Number(m[1]), 0);
  };

  it('routes each model on the LLM host to the backend that serves it', async () => {
    const before = served();
    const r1 = await client().chat.completions.create({ model: 'm1', messages: [{ role: 'user', content: 'hi' }] });
    const r2 = await client().chat.completions.create({ model: 'm2', messages: [{ role: 'user', content: 'hi' }] });
    expect(r1.choices[0]?.message.content?.length).toBeGreaterThan(0);
    expect(r2.choices[0]?.message.content?.length).toBeGreaterThan(0);
    const after = served();
    expect({ a: after.a! - before.a!, b: after.b! - before.b! }).toEqual({ a: 1, b: 1 });
  });

  it("routes a 2 MiB conversation (beyond Envoy's default 1 MiB buffer; the EnvoyFilter raises it)", async () => {
    const before = served();
    const big = 'x'.repeat(2 * 1024 * 1024);
    const r = await client().chat.completions.create({ model: 'm1', messages: [{ role: 'user', content: big }] });
    expect(r.choices[0]?.message.content?.length).toBeGreaterThan(0);
    expect(served().a! - before.a!).toBe(1);
  });

  it('answers a body over max_body_bytes with the JSON 413 of envoy/*.yaml', async () => {
    const res = await fetchWithHost(LLM_HOST)(`http://127.0.0.1:${listenPort}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'm1', messages: [{ role: 'user', content: 'x'.repeat(MAX_BODY + 1024) }] }),
    });
    expect(res.status).toBe(413);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('request_too_large');
  });

  it('streams through the proxy', async () => {
    const stream = await client().chat.completions.create({ model: 'm2', stream: true, messages: [{ role: 'user', content: 'hi' }] });
    let chunks = 0;
    for await (const c of stream) if (c.choices[0]?.delta.content) chunks++;
    expect(chunks).toBe(4);
  });

  it('never sends another host of the same listener to the sidecar', async () => {
    const streams = await extProcStreams();
    expect(streams).toBeGreaterThan(0);
    const hits = shopHits;
    const res = await fetchWithHost(SHOP_HOST)(`http://127.0.0.1:${listenPort}/cart`);
    expect(await res.text()).toBe('shop');
    expect(shopHits).toBe(hits + 1);
    // The observer's stream (if any) is closed lazily; give the stats a moment, then compare.
    await eventually(async () => (await extProcStreams()) === streams, 10_000, 'ext_proc stream count to settle');
    expect(await extProcStreams()).toBe(streams);
  });

  it("ignores a client's x-warmroute-cluster naming another cluster", async () => {
    const before = served();
    const hits = shopHits;
    await client({ 'x-warmroute-cluster': `outbound|80||${SHOP_HOST}` }).chat.completions.create({ model: 'm1', messages: [{ role: 'user', content: 'hi' }] });
    expect(served().a! - before.a!).toBe(1);
    expect(shopHits).toBe(hits);
  });

  it("passes the sidecar's own refusal through as OpenAI-style JSON", async () => {
    const err = await client()
      .chat.completions.create({ model: 'no-such-model', messages: [{ role: 'user', content: 'hi' }] })
      .then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.APIError);
    const apiErr = err as InstanceType<typeof OpenAI.APIError>;
    expect(apiErr.status).toBeGreaterThanOrEqual(400);
    expect(apiErr.status).toBeLessThan(500);
    expect(typeof (apiErr.error as { code?: unknown }).code).toBe('string');
  });

  // Last: stops the sidecar.
  it('with the warmroute sidecar gone, the LLM host answers the JSON 503 with Retry-After and other hosts still work', async () => {
    await sidecar!.close();
    sidecar = undefined;
    const res = await fetchWithHost(LLM_HOST)(`http://127.0.0.1:${listenPort}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'm1', messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('1');
    expect(res.headers.get('content-type')).toBe('application/json');
    const body = (await res.json()) as { error: { type: string; code: string; message: string } };
    expect(body.error.code).toBe('router_unavailable');
    expect(await (await fetchWithHost(SHOP_HOST)(`http://127.0.0.1:${listenPort}/cart`)).text()).toBe('shop');
  });

  // Last: stops the other host's upstream.
  it("leaves another host's own errors alone (no JSON rewrite outside the LLM host)", async () => {
    await new Promise((r) => shop?.close(r));
    shop = undefined;
    const res = await fetchWithHost(SHOP_HOST)(`http://127.0.0.1:${listenPort}/cart`);
    expect(res.status).toBe(503);
    const text = await res.text();
    expect(text).not.toContain('"error"');
    expect(text).toContain('upstream connect error');
  });

});
