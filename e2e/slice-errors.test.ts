// Every refusal through the real Envoy is an OpenAI-style JSON error
// ({"error":{"message","type","code"}}, content-type application/json) with
// the right status, whether the sidecar or Envoy itself produces it; Anthropic
// path errors also carry the top-level "type":"error". Bad input never reaches
// a backend, never leaks accounting, and never takes the sidecar down.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startGateway, type Gateway } from './harness.ts';
import { ANTHROPIC_HEADERS, expectJsonError, post, servedBy, simRequests } from './helpers-slice.ts';

const MAX_BODY = 64 * 1024;
const MESSAGES = [{ role: 'user', content: 'hi' }];

let gw: Gateway;

beforeAll(async () => {
  gw = await startGateway({
    sims: {
      // `secret` is loaded on the server but NOT listed in the policy: the allowlist must keep it unreachable.
      a: { kind: 'openai', models: [{ id: 'm1', loaded: true }, { id: 'secret', loaded: true }], defaultMaxTokens: 3, tokensPerSec: 200, ttftMs: 10 },
      d: { kind: 'openai', models: [{ id: 'md', loaded: true }], defaultMaxTokens: 3, tokensPerSec: 200, ttftMs: 10 },
    },
    policy: {
      backends: [
        { name: 'a', kind: 'openai', url: 'sim:a', models: ['m1'] },
        { name: 'd', kind: 'openai', url: 'sim:d', models: ['md'] },
      ],
      envoy: { max_body_bytes: MAX_BODY },
    },
    probe: false,
  });
}, 60_000);

afterAll(async () => {
  await gw?.stop();
});

const CHAT = (): string => gw.url + '/v1/chat/completions';

/** Sends, checks the JSON error, and checks that no backend was asked. */
async function refused(send: () => Promise<Response>, status: number, code?: string): Promise<Awaited<ReturnType<typeof expectJsonError>>> {
  const { result, served } = await servedBy(gw, async () => expectJsonError(await send(), status, code));
  expect(served, 'a refused request must not reach a backend').toEqual({});
  return result;
}

describe('bad requests → 400', () => {
  it('malformed JSON', async () => {
    for (const body of ['{bad', '{"model":"m1",}', '{"model":"m1"', '{"model":"m1"} trailing', '', '[{"model":"m1"}]', '"m1"', 'null']) {
      const res = await post(CHAT(), body === '' ? '{' : body);
      const j = await expectJsonError(res, 400);
      expect(j.error.type).toBe('invalid_request_error');
      expect(['invalid_json'], body).toContain(j.error.code);
    }
  });

  it('an invalid escape inside a string value is malformed JSON (400), not a router failure (500)', async () => {
    // JSON.parse rejects "\q"; the scanner lets it through and the model decode throws.
    await refused(() => post(CHAT(), '{"model":"m\\q","messages":[]}'), 400, 'invalid_json');
    await refused(() => post(CHAT(), '{"model":"m1","prompt_cache_key":"a\\q","messages":[]}'), 400, 'invalid_json');
    await refused(() => post(gw.url + '/v1/messages', '{"model":"m1","max_tokens":3,"metadata":{"user_id":"a\\q"},"messages":[]}', ANTHROPIC_HEADERS), 400, 'invalid_json');
  });

  it('missing model', async () => {
    await refused(() => post(CHAT(), { messages: MESSAGES }), 400, 'missing_model');
    await refused(() => post(CHAT(), { model: '', messages: MESSAGES }), 400, 'missing_model');
    // A nested "model" is not the top-level one.
    await refused(() => post(CHAT(), { options: { model: 'm1' }, messages: MESSAGES }), 400, 'missing_model');
  });

  it('wrong-typed model', async () => {
    for (const model of [5, true, null, ['m1'], { id: 'm1' }]) {
      await refused(() => post(CHAT(), { model, messages: MESSAGES }), 400, 'invalid_model');
    }
  });

  it('wrong-typed stream', async () => {
    await refused(() => post(CHAT(), { model: 'm1', stream: 'yes', messages: MESSAGES }), 400, 'invalid_stream');
  });

  it('model with CR/LF, path-like or URL-like names', async () => {
    for (const model of ['m1\r\nx-warmroute-endpoint: 127.0.0.1:1', 'm1\n', '../x', 'a/../../etc/passwd', 'http://evil/x', 'm 1', 'x'.repeat(300)]) {
      await refused(() => post(CHAT(), { model, messages: MESSAGES }), 400, 'invalid_model');
    }
  });

  it('no body at all', async () => {
    await refused(() => fetch(CHAT(), { method: 'POST' }), 400, 'missing_body');
  });
});

describe('model allowlist → 404', () => {
  it('unknown model', async () => {
    const j = await refused(() => post(CHAT(), { model: 'no-such-model', messages: MESSAGES }), 404, 'model_not_found');
    expect(j.error.message).toContain('no-such-model');
  });

  it('a model the server has but the policy does not list', async () => {
    await refused(() => post(CHAT(), { model: 'secret', messages: MESSAGES }), 404, 'model_not_found');
  });

  it('a duplicate "model" key routes by the value the backend will read (the last one)', async () => {
    // JSON.parse (and so the backend) keeps the last duplicate key.
    await refused(() => post(CHAT(), '{"model":"m1","messages":[{"role":"user","content":"hi"}],"model":"secret"}'), 404, 'model_not_found');
  });

  it('a "model" key spelled with JSON escapes is still the model key (no allowlist bypass)', async () => {
    // `"mod\u0065l"` is the key "model" to every JSON parser; the backend reads "secret" from it (last key wins).
    const body = '{"model":"m1","messages":[{"role":"user","content":"hi"}],"mod\\u0065l":"secret"}';
    expect((JSON.parse(body) as { model: string }).model).toBe('secret');
    const { result: res, served } = await servedBy(gw, () => post(CHAT(), body));
    const text = await res.text();
    expect(served, `an unlisted model reached backend a (gateway answered ${res.status}: ${text.slice(0, 160)})`).toEqual({});
    expect(res.status, text).toBe(404);
  });
});

describe('limits and availability', () => {
  it(`body over envoy.max_body_bytes (${MAX_BODY}) → 413 from Envoy`, async () => {
    const big = { model: 'm1', messages: [{ role: 'user', content: 'x'.repeat(200 * 1024) }] };
    const j = await refused(() => post(CHAT(), big), 413, 'request_too_large');
    expect(j.error.message).toContain(String(MAX_BODY));
    // Also when the size is not announced up front (chunked upload).
    const bytes = Buffer.from(JSON.stringify(big));
    const stream = new ReadableStream<Uint8Array>({
      start(c) {
        for (let i = 0; i < bytes.length; i += 16 * 1024) c.enqueue(bytes.subarray(i, i + 16 * 1024));
        c.close();
      },
    });
    await refused(() => post(CHAT(), undefined, {}, { body: stream, duplex: 'half' } as RequestInit), 413, 'request_too_large');
  });

  it('a body just under the limit is routed normally', async () => {
    const { result: res, served } = await servedBy(gw, () => post(CHAT(), { model: 'm1', messages: [{ role: 'user', content: 'y'.repeat(MAX_BODY - 1024) }] }));
    expect(res.status).toBe(200);
    await res.text();
    expect(served).toEqual({ a: 1 });
  });

  it('no healthy backend → 503 with Retry-After', async () => {
    gw.sidecar!.store.markRequestFailure('d', Date.now(), 'test');
    const { result: res, served } = await servedBy(gw, () => post(CHAT(), { model: 'md', messages: MESSAGES }));
    expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    await expectJsonError(res, 503, 'no_healthy_backend');
    expect(served).toEqual({});
  });

  it('unknown path → 404', async () => {
    await refused(() => post(gw.url + '/v1/unknown', { model: 'm1' }), 404, 'unknown_endpoint');
    await refused(() => fetch(gw.url + '/nope'), 404, 'unknown_endpoint');
    await refused(() => post(gw.url + '/v1/chat/completions/../../admin', { model: 'm1' }), 404);
  });

  it('wrong method on a routed path → 405', async () => {
    await refused(() => fetch(CHAT()), 405, 'method_not_allowed');
  });
});

describe('Anthropic /v1/messages errors carry "type":"error"', () => {
  const MSG = (): string => gw.url + '/v1/messages';
  const anthropicError = async (send: () => Promise<Response>, status: number, code?: string): Promise<void> => {
    const j = await refused(send, status, code);
    expect(j.type, JSON.stringify(j)).toBe('error');
  };

  it('from the sidecar: malformed JSON, missing model, bad model, unknown model, no healthy backend, unknown path', async () => {
    await anthropicError(() => post(MSG(), '{bad', ANTHROPIC_HEADERS), 400, 'invalid_json');
    await anthropicError(() => post(MSG(), { max_tokens: 3, messages: MESSAGES }, ANTHROPIC_HEADERS), 400, 'missing_model');
    await anthropicError(() => post(MSG(), { model: '../x', max_tokens: 3, messages: MESSAGES }, ANTHROPIC_HEADERS), 400, 'invalid_model');
    await anthropicError(() => post(MSG(), { model: 'no-such-model', max_tokens: 3, messages: MESSAGES }, ANTHROPIC_HEADERS), 404, 'model_not_found');
    gw.sidecar!.store.markRequestFailure('d', Date.now(), 'test');
    await anthropicError(() => post(MSG(), { model: 'md', max_tokens: 3, messages: MESSAGES }, ANTHROPIC_HEADERS), 503, 'no_healthy_backend');
    await anthropicError(() => post(gw.url + '/v1/messages/unknown', { model: 'm1' }, ANTHROPIC_HEADERS), 404, 'unknown_endpoint');
  });

  it('from Envoy: a body over the limit on /v1/messages', async () => {
    await anthropicError(() => post(MSG(), { model: 'm1', max_tokens: 3, messages: [{ role: 'user', content: 'x'.repeat(200 * 1024) }] }, ANTHROPIC_HEADERS), 413, 'request_too_large');
  });
});

describe('the sidecar survives all of the above', () => {
  it('still serves a good request, and nothing leaked', async () => {
    await eventually(() => gw.sidecar!.store.totalInFlight() === 0 && gw.sidecar!.control.running() === 0 && gw.sidecar!.control.queued() === 0, 5000, 'accounting settled');
    const before = simRequests(gw).a!;
    const res = await post(CHAT(), { model: 'm1', messages: MESSAGES });
    expect(res.status).toBe(200);
    const j = (await res.json()) as { object: string };
    expect(j.object).toBe('chat.completion');
    expect(simRequests(gw).a).toBe(before + 1);
    expect(gw.envoy.process.exitCode).toBeNull();
    const admin = await fetch(`http://127.0.0.1:${gw.sidecar!.adminPort}/healthz`);
    expect(admin.status).toBe(200);
    await eventually(() => gw.sidecar!.store.totalInFlight() === 0, 5000, 'released');
  });
});

describe('sidecar unreachable (fail-closed)', () => {
  let down: Gateway;
  beforeAll(async () => {
    down = await startGateway({
      sims: { a: { kind: 'openai', models: [{ id: 'm1', loaded: true }], defaultMaxTokens: 3 } },
      policy: { backends: [{ name: 'a', kind: 'openai', url: 'sim:a', models: ['m1'] }] },
      noSidecar: true,
      probe: false,
    });
  }, 60_000);
  afterAll(async () => {
    await down?.stop();
  });

  it('a routed request gets a 503 JSON error and reaches no backend', async () => {
    const before = down.sims.a!.stats().requests;
    const j = await expectJsonError(await post(down.url + '/v1/chat/completions', { model: 'm1', messages: MESSAGES }), 503, 'router_unavailable');
    expect(j.error.type).toBe('server_error');
    expect(down.sims.a!.stats().requests).toBe(before);
  });

  it('a client routing header does not get around it', async () => {
    const before = down.sims.a!.stats().requests;
    await expectJsonError(
      await post(down.url + '/v1/chat/completions', { model: 'm1', messages: MESSAGES }, { 'x-warmroute-endpoint': new URL(down.sims.a!.url).host, 'x-warmroute-cluster': 'a' }),
      503,
      'router_unavailable',
    );
    expect(down.sims.a!.stats().requests).toBe(before);
  });

  it('GET /v1/models also fails closed with JSON', async () => {
    await expectJsonError(await fetch(down.url + '/v1/models'), 503, 'router_unavailable');
  });

  it('on /v1/messages the 503 also carries "type":"error"', async () => {
    const j = await expectJsonError(await post(down.url + '/v1/messages', { model: 'm1', max_tokens: 3, messages: MESSAGES }, ANTHROPIC_HEADERS), 503);
    expect(j.type, JSON.stringify(j)).toBe('error');
  });
});
