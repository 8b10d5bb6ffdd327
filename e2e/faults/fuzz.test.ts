// 1,000 fast-check-generated bodies through a real Envoy, on every routed API:
// malformed JSON, bytes that are not UTF-8, wrong types, huge strings, deep
// nesting, odd unicode, and valid-looking shapes with bad fields. Each gets a
// 4xx JSON error or, when it is actually valid (decided by a JSON.parse
// reference), a 2xx; never a 5xx, never a hang; the sidecar serves afterwards.
// And a request its backend would refuse never reaches it or loads a model.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { eventually, startGateway, type Gateway } from '../harness.ts';
import { ANTHROPIC_HEADERS, JSON_HEADERS, post, servedBy } from '../helpers-slice.ts';
import { BODY_ROUTES, type ApiKind } from '../../sidecar/request/parse.ts';
import { expectedRefusal } from '../../sidecar/request/shape-oracle.ts';

const RUNS = 1_000;
const CONCURRENCY = 8;
const OLLAMA_MODEL = 'llama3:8b';
const OPENAI_MODELS = ['m1', 'm2'];
const ROUTES = [...BODY_ROUTES.entries()];
const isOllamaApi = (api: ApiKind) => api.startsWith('ollama-');

let gw: Gateway;

/** A body each API's server answers with 2xx (`model` fits the API's backend). */
function validBody(path: string, api: ApiKind, model: string, stream: boolean): Record<string, unknown> {
  const messages = [{ role: 'user', content: 'hi' }];
  switch (api) {
    case 'openai-chat':
      return { model, messages, stream, max_tokens: 2 };
    case 'anthropic-messages':
      return { model, messages, stream, max_tokens: 2 };
    case 'openai-completions':
      return { model, prompt: 'once upon', stream, max_tokens: 2 };
    case 'openai-embeddings':
      return { model, input: 'text' };
    case 'openai-responses':
      return { model, input: 'hi', stream, max_output_tokens: 2 };
    case 'ollama-chat':
      return { model, messages, stream, options: { num_predict: 2 } };
    case 'ollama-generate':
      return { model, prompt: 'once', stream, options: { num_predict: 2 } };
    case 'ollama-embed':
      // The legacy /api/embeddings takes a prompt; /api/embed an input.
      return path === '/api/embeddings' ? { model, prompt: 'text' } : { model, input: 'text' };
  }
}

const deep = (n: number) => '['.repeat(n) + ']'.repeat(n);
const oddText = fc.oneof(fc.string({ unit: 'grapheme', maxLength: 20 }), fc.string({ unit: 'binary', maxLength: 20 }), fc.constantFrom('\u0000', '\u202e', '\ud800', 'e\u0301', '\ufeff', '🦙'));
const anyModel = fc.oneof(fc.constantFrom(...OPENAI_MODELS, OLLAMA_MODEL, 'no-such-model', '', '../x', 'a'.repeat(300)), oddText, fc.integer(), fc.constant(null));
const badField = fc.oneof(fc.constant(undefined), fc.constant(null), fc.jsonValue({ maxDepth: 2 }), fc.array(fc.oneof(fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 1 })), fc.jsonValue({ maxDepth: 1 })), { maxLength: 3 }));

type Case = { path: string; api: ApiKind; body: string | Buffer; valid?: boolean; what: string };
const route = fc.constantFrom(...ROUTES);
const caseArb: fc.Arbitrary<Case> = fc.oneof(
  // Valid for its API and backend (so 2xx is checked too), with some extra fields.
  fc.tuple(route, fc.boolean(), fc.dictionary(fc.constantFrom('temperature', 'seed', 'user', 'stop', 'x_extra'), fc.jsonValue({ maxDepth: 1 }))).map(([[path, api], stream, extra]) => {
    const model = isOllamaApi(api) ? OLLAMA_MODEL : OPENAI_MODELS[stream ? 0 : 1]!;
    return { path, api, body: JSON.stringify({ ...extra, ...validBody(path, api, model, stream) }), valid: true, what: 'valid' };
  }),
  // Valid-looking shapes with bad fields.
  fc.tuple(route, anyModel, fc.record({ stream: fc.oneof(fc.boolean(), fc.constant(null), fc.string()), messages: badField, prompt: badField, input: badField, max_tokens: fc.oneof(fc.integer({ min: -1, max: 3 }), fc.double(), fc.string(), fc.constant(null)), previous_response_id: fc.oneof(fc.string(), fc.constant(null)) }, { requiredKeys: [] })).map(([[path, api], model, rest]) => ({ path, api, body: JSON.stringify({ model, ...rest }), what: 'bad fields' })),
  // Malformed JSON: random text, truncated objects, non-objects.
  fc.tuple(route, fc.string({ maxLength: 60 })).map(([[path, api], s]) => ({ path, api, body: s.length ? s : '{', what: 'random text' })),
  fc.tuple(route, fc.nat()).map(([[path, api], cut]) => {
    const s = JSON.stringify(validBody(path, api, isOllamaApi(api) ? OLLAMA_MODEL : 'm1', false));
    return { path, api, body: s.slice(0, 1 + (cut % (s.length - 1))), what: 'truncated' };
  }),
  fc.tuple(route, fc.jsonValue({ maxDepth: 2 })).map(([[path, api], v]) => ({ path, api, body: JSON.stringify(v) ?? 'null', what: 'any JSON value' })),
  // Bytes that are not UTF-8 inside an otherwise valid body.
  fc.tuple(route, fc.uint8Array({ minLength: 1, maxLength: 4, min: 0x80 })).map(([[path, api], bytes]) => ({
    path,
    api,
    body: Buffer.concat([Buffer.from(`{"model":"m1","messages":[{"role":"user","content":"`), Buffer.from(bytes), Buffer.from('"}],"prompt":"x","input":"x","max_tokens":2}')]),
    what: 'raw bytes',
  })),
  // Escapes JSON does not have, or raw control characters, inside a string the gateway does not decode.
  fc.tuple(route, fc.constantFrom('\\q', '\\u12', '\\x41', '\u0001', '\n', '\t')).map(([[path, api], bad]) => ({
    path,
    api,
    body: `{"model":"${api.startsWith('ollama-') ? OLLAMA_MODEL : 'm1'}","messages":[{"role":"user","content":"a${bad}b"}],"prompt":"x","input":"x","max_tokens":2}`,
    what: 'bad string content',
  })),
  // Huge strings and deep nesting around the bound.
  fc.tuple(route, fc.integer({ min: 10_000, max: 200_000 }), fc.boolean()).map(([[path, api], n, inModel]) => {
    const b = validBody(path, api, isOllamaApi(api) ? OLLAMA_MODEL : 'm1', false);
    return { path, api, body: JSON.stringify(inModel ? { ...b, model: 'm'.repeat(n) } : { ...b, user: 'u'.repeat(n) }), what: 'huge string' };
  }),
  fc.tuple(route, fc.integer({ min: 500, max: 520 })).map(([[path, api], n]) => {
    const b = JSON.stringify(validBody(path, api, isOllamaApi(api) ? OLLAMA_MODEL : 'm1', false));
    return { path, api, body: `${b.slice(0, -1)},"nested":${deep(n)}}`, what: 'deep nesting' };
  }),
);

interface Answer {
  status: number;
  text: string;
  contentType: string;
  error?: string;
}

async function send(c: Case): Promise<Answer> {
  try {
    const res = await fetch(gw.url + c.path, {
      method: 'POST',
      headers: c.api === 'anthropic-messages' ? ANTHROPIC_HEADERS : JSON_HEADERS,
      body: typeof c.body === 'string' ? c.body : new Uint8Array(c.body),
      signal: AbortSignal.timeout(30_000),
    });
    return { status: res.status, text: await res.text(), contentType: res.headers.get('content-type') ?? '' };
  } catch (e) {
    return { status: 0, text: '', contentType: '', error: String(e) };
  }
}

function errorCode(a: Answer): string | undefined {
  try {
    const j = JSON.parse(a.text) as { error?: { code?: unknown } | string };
    return typeof j.error === 'object' && typeof j.error.code === 'string' ? j.error.code : undefined;
  } catch {
    return undefined;
  }
}

describe('fuzzed bodies through Envoy', () => {
  beforeAll(async () => {
    const fast = { ttftMs: 1, tokensPerSec: 2000, loadInitMs: 20, defaultMaxTokens: 2 };
    gw = await startGateway({
      sims: {
        a: { kind: 'openai', models: [{ id: 'm1', loaded: true }, { id: 'm2', loaded: false }], ...fast },
        o: { kind: 'ollama', models: [{ id: OLLAMA_MODEL, loaded: true }], ...fast },
      },
      policy: {
        backends: [
          { name: 'a', url: 'sim:a', models: OPENAI_MODELS },
          { name: 'o', url: 'sim:o', kind: 'ollama', models: [OLLAMA_MODEL] },
        ],
      },
      probe: false,
    });
  });
  afterAll(() => gw?.stop());

  it('a request its backend would refuse is refused by the gateway: it never reaches the backend or loads a model', async () => {
    const cold = 'm2';
    const bad: Array<[string, unknown, Record<string, string>, string]> = [
      ['/v1/chat/completions', { model: cold, messages: 'hi' }, JSON_HEADERS, 'invalid_messages'],
      ['/v1/chat/completions', { model: cold, messages: [] }, JSON_HEADERS, 'invalid_messages'],
      ['/v1/chat/completions', { model: cold }, JSON_HEADERS, 'invalid_messages'],
      ['/v1/messages', { model: cold, messages: [{ role: 'user', content: 'hi' }] }, ANTHROPIC_HEADERS, 'missing_max_tokens'],
      ['/v1/messages', { model: cold, max_tokens: 0, messages: [{ role: 'user', content: 'hi' }] }, ANTHROPIC_HEADERS, 'invalid_max_tokens'],
      ['/v1/completions', { model: cold }, JSON_HEADERS, 'missing_prompt'],
      ['/v1/embeddings', { model: cold }, JSON_HEADERS, 'missing_input'],
      ['/v1/responses', { model: cold }, JSON_HEADERS, 'missing_input'],
      ['/api/chat', { model: OLLAMA_MODEL, messages: 'hi' }, JSON_HEADERS, 'invalid_messages'],
    ];
    const loadsBefore = gw.sims.a!.stats().loads;
    for (const [path, body, headers, code] of bad) {
      const { result, served } = await servedBy(gw, async () => {
        const res = await post(gw.url + path, body, headers);
        return { status: res.status, body: (await res.json()) as { type?: string; error: { code: string; type: string } } };
      });
      expect(result.status, `${path} ${JSON.stringify(body)}`).toBe(400);
      expect(result.body.error).toMatchObject({ code, type: 'invalid_request_error' });
      if (path === '/v1/messages') expect(result.body.type).toBe('error');
      expect(served, 'a refused request must not reach a backend').toEqual({});
    }
    expect(gw.sims.a!.stats().loads, 'no model load').toBe(loadsBefore);
    expect(gw.sims.a!.stats().loaded).not.toContain(cold);
  });

  it(`${RUNS} generated bodies: a 4xx JSON error or, when valid, a 2xx; never a 5xx or a hang`, { timeout: 300_000 }, async () => {
    const cases = fc.sample(caseArb, { numRuns: RUNS, seed: 1130 });
    const answers: Answer[] = new Array(cases.length);
    let next = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        for (let i = next++; i < cases.length; i = next++) answers[i] = await send(cases[i]!);
      }),
    );

    const problems: string[] = [];
    const tally = { ok: 0, refused: 0, exactCode: 0 };
    cases.forEach((c, i) => {
      const a = answers[i]!;
      const where = `#${i} ${c.what} ${c.path} ${c.body.toString().slice(0, 120)} → ${a.status} ${a.text.slice(0, 160)}${a.error ? ' ' + a.error : ''}`;
      if (a.status === 0 || a.status >= 500) return problems.push(`no answer or 5xx: ${where}`);
      const verdict = expectedRefusal(c.api, c.body);
      if (a.status >= 400) {
        tally.refused++;
        if (!a.contentType.includes('json') || (() => { try { return !('error' in (JSON.parse(a.text) as object)); } catch { return true; } })())
          problems.push(`4xx without a JSON error: ${where}`);
      } else tally.ok++;
      if (verdict) {
        if (a.status < 400 || a.status >= 500) problems.push(`expected 400 ${verdict.code}: ${where}`);
        // The gateway decides on structure, not on escapes inside strings it never decodes: for invalid_json the
        // backend may be the one to refuse, with its own code.
        else if (verdict.code !== 'invalid_json' && errorCode(a) !== verdict.code) problems.push(`expected code ${verdict.code}: ${where}`);
        else if (errorCode(a) === verdict.code) tally.exactCode++;
      } else if (c.valid && (a.status < 200 || a.status >= 300)) problems.push(`valid, expected 2xx: ${where}`);
    });
    expect(problems).toEqual([]);
    // The generator covered both sides.
    expect(tally.ok).toBeGreaterThan(RUNS * 0.05);
    expect(tally.refused).toBeGreaterThan(RUNS * 0.3);

    // The sidecar is alive, serves, and holds nothing.
    const after = await post(gw.url + '/v1/chat/completions', { model: 'm1', messages: [{ role: 'user', content: 'hi' }] });
    expect(after.status).toBe(200);
    await after.text();
    await eventually(() => gw.sidecar!.control.queued() === 0 && gw.sidecar!.control.running() === 0 && gw.sidecar!.store.totalInFlight() === 0, 10_000, 'the sidecar to be idle');
  });
});
