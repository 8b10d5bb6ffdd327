// Real-server quirks the gateway absorbs (recorded in ../shared/fixtures/real).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startGateway, type Gateway } from './harness.ts';
import { PROJECT_ROOT } from '../sidecar/envoy/binary.ts';

let gw: Gateway;

describe('llama-swap without a JSON content-type', () => {
  beforeAll(async () => {
    gw = await startGateway({
      sims: { s: { kind: 'llama-swap', models: [{ id: 'm1', loaded: true }], defaultMaxTokens: 2, loadInitMs: 10, timeScale: 0.1 } },
      policy: { backends: [{ name: 's', kind: 'llama-swap', url: 'sim:s', models: ['m1'] }] },
      probe: false,
    });
  });
  afterAll(() => gw.stop());

  it('the recorded llama-swap answers 404 when the request has no content-type', () => {
    const recorded = readFileSync(join(PROJECT_ROOT, '../shared/fixtures/real/llama-swap/POST_v1_chat_completions_no_content_type.http'), 'utf8');
    expect(recorded).toMatch(/404/);
  });

  it('the simulated llama-swap does the same when reached directly', async () => {
    const r = await fetch(`${gw.sims.s!.url}/v1/chat/completions`, { method: 'POST', body: JSON.stringify({ model: 'm1', messages: [{ role: 'user', content: 'x' }] }), headers: { 'content-type': 'text/plain' } });
    expect(r.status).toBe(404);
  });

  it('through the gateway the request is served: the sidecar adds the content-type', async () => {
    const r = await fetch(`${gw.url}/v1/chat/completions`, { method: 'POST', body: JSON.stringify({ model: 'm1', messages: [{ role: 'user', content: 'x' }] }), headers: { 'content-type': 'text/plain' } });
    expect(r.status).toBe(200);
    expect(((await r.json()) as { object: string }).object).toBe('chat.completion');
  });
});

describe('what clients ask the gateway itself', () => {
  let g: Gateway;
  beforeAll(async () => {
    g = await startGateway({
      sims: { a: { kind: 'openai', models: [{ id: 'm1' }] } },
      policy: { backends: [{ name: 'a', url: 'sim:a', models: ['m1'] }] },
      probe: false,
    });
  });
  afterAll(() => g.stop());

  it('GET /v1/models/{id} answers one model (the OpenAI SDK’s models.retrieve), or 404', async () => {
    const { default: OpenAI } = await import('openai');
    const client = new OpenAI({ baseURL: `${g.url}/v1`, apiKey: 'x' });
    expect(await client.models.retrieve('m1')).toMatchObject({ id: 'm1', object: 'model' });
    await expect(client.models.retrieve('nope')).rejects.toMatchObject({ status: 404 });
  });

  it('GET /health is 200 while a backend is healthy, 503 when none is', async () => {
    expect((await fetch(`${g.url}/health`)).status).toBe(200);
    g.sidecar!.store.markRequestFailure('a', Date.now(), 'test');
    const r = await fetch(`${g.url}/health`);
    expect(r.status).toBe(503);
    expect(r.headers.get('content-type')).toContain('application/json');
  });
});

describe('HTTP/2 request with trailers', () => {
  let g: Gateway;
  beforeAll(async () => {
    g = await startGateway({ sims: { a: { kind: 'openai', models: [{ id: 'm1' }], defaultMaxTokens: 2 } }, policy: { backends: [{ name: 'a', url: 'sim:a', models: ['m1'] }] }, probe: false });
  });
  afterAll(() => g.stop());

  it('is routed (Envoy sends the buffered body with end_of_stream false when trailers follow)', async () => {
    const { connect } = await import('node:http2');
    const session = connect(g.url);
    const status = await new Promise<number>((resolve, reject) => {
      const req = session.request({ ':method': 'POST', ':path': '/v1/chat/completions', 'content-type': 'application/json' }, { waitForTrailers: true });
      req.on('wantTrailers', () => req.sendTrailers({ 'x-checksum': 'abc' }));
      req.on('response', (h) => resolve(Number(h[':status'])));
      req.on('error', reject);
      req.end(JSON.stringify({ model: 'm1', messages: [{ role: 'user', content: 'x' }] }));
      req.resume();
    });
    session.close();
    expect(status).toBe(200);
    expect(g.sims.a!.stats().requests).toBe(1);
  }, 20_000);
});
