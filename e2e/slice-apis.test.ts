// Every API path the gateway routes by body, through a real Envoy: the request
// lands on the backend that lists the model (proved by the backend's own
// request counter / recorded requests), the answer streams back intact, the
// catalog endpoints answer from the sidecar, and the official OpenAI and
// Anthropic SDKs work against the gateway, errors included.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';
import { eventually, startGateway, type Gateway } from './harness.ts';
import { ANTHROPIC_HEADERS, chatDeltas, ndjson, post, readSse, servedBy, startOllamaStub, type OllamaStub } from './helpers-slice.ts';

let gw: Gateway;
let oa: OllamaStub;
let ob: OllamaStub;

const MESSAGES = [{ role: 'user', content: 'Say something.' }];

beforeAll(async () => {
  // The simulator speaks OpenAI/Anthropic only; Ollama's native paths go to recording stubs.
  oa = await startOllamaStub('oa');
  ob = await startOllamaStub('ob');
  gw = await startGateway({
    sims: {
      a: { kind: 'openai', models: [{ id: 'm1', loaded: true }], defaultMaxTokens: 5, tokensPerSec: 200, ttftMs: 10 },
      b: { kind: 'openai', models: [{ id: 'm2', loaded: true }, { id: 'm3', loaded: true }], defaultMaxTokens: 5, tokensPerSec: 200, ttftMs: 10 },
    },
    policy: {
      backends: [
        { name: 'a', kind: 'openai', url: 'sim:a', models: ['m1'] },
        { name: 'b', kind: 'openai', url: 'sim:b', models: ['m2', 'm3'] },
        { name: 'oa', kind: 'ollama', url: oa.url, models: ['o1'] },
        { name: 'ob', kind: 'ollama', url: ob.url, models: ['o2', 'o3'] },
      ],
    },
    probe: false,
  });
}, 60_000);

afterAll(async () => {
  await gw?.stop();
  await oa?.close();
  await ob?.close();
});

/** The sidecar releases each request when Envoy closes its ext_proc stream; nothing may leak. */
async function settled(): Promise<void> {
  await eventually(() => gw.sidecar!.store.totalInFlight() === 0 && gw.sidecar!.control.running() === 0, 5000, 'in-flight back to 0');
}

describe('OpenAI paths route by body', () => {
  const cases: Array<{ path: string; body: (model: string) => Record<string, unknown>; check: (res: Response) => Promise<void> }> = [
    {
      path: '/v1/chat/completions (non-stream)',
      body: (model) => ({ model, messages: MESSAGES }),
      check: async (res) => {
        const j = (await res.json()) as { object: string; choices: Array<{ message: { content: string } }> };
        expect(j.object).toBe('chat.completion');
        expect(j.choices[0]!.message.content.length).toBeGreaterThan(0);
      },
    },
    {
      path: '/v1/chat/completions (stream)',
      body: (model) => ({ model, messages: MESSAGES, stream: true }),
      check: async (res) => {
        expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
        const { events } = await readSse(res);
        expect(chatDeltas(events)).toHaveLength(5);
        expect(events.at(-1)!.data).toBe('[DONE]');
      },
    },
    {
      path: '/v1/completions',
      body: (model) => ({ model, prompt: 'Once upon a time' }),
      check: async (res) => {
        const j = (await res.json()) as { object: string; choices: Array<{ text: string }> };
        expect(j.object).toBe('text_completion');
        expect(j.choices[0]!.text.length).toBeGreaterThan(0);
      },
    },
    {
      path: '/v1/embeddings',
      body: (model) => ({ model, input: ['hello', 'world'] }),
      check: async (res) => {
        const j = (await res.json()) as { object: string; data: Array<{ embedding: number[] }> };
        expect(j.object).toBe('list');
        expect(j.data).toHaveLength(2);
        expect(j.data[0]!.embedding.length).toBeGreaterThan(0);
      },
    },
    {
      path: '/v1/responses',
      body: (model) => ({ model, input: 'Say something.' }),
      check: async (res) => {
        const j = (await res.json()) as { object: string; status: string; output: unknown[] };
        expect(j.object).toBe('response');
        expect(j.status).toBe('completed');
        expect(j.output.length).toBeGreaterThan(0);
      },
    },
    {
      path: '/v1/responses (stream)',
      body: (model) => ({ model, input: 'Say something.', stream: true }),
      check: async (res) => {
        const { events } = await readSse(res);
        expect(events.map((e) => e.event)).toContain('response.output_text.delta');
        expect(events.at(-1)!.event).toBe('response.completed');
      },
    },
  ];

  for (const c of cases) {
    const path = c.path.split(' ')[0]!;
    for (const [model, backend] of [
      ['m1', 'a'],
      ['m3', 'b'],
    ] as const) {
      it(`${c.path}: ${model} is served by ${backend}`, async () => {
        const { result: res, served } = await servedBy(gw, async () => {
          const r = await post(gw.url + path, c.body(model));
          expect(r.status, await r.clone().text()).toBe(200);
          await c.check(r);
          return r;
        });
        expect(res.status).toBe(200);
        expect(served).toEqual({ [backend]: 1 });
        await settled();
      });
    }
  }
});

describe('Anthropic /v1/messages routes by body', () => {
  for (const stream of [false, true]) {
    for (const [model, backend] of [
      ['m1', 'a'],
      ['m2', 'b'],
    ] as const) {
      it(`${stream ? 'stream' : 'non-stream'}: ${model} is served by ${backend}`, async () => {
        const { served } = await servedBy(gw, async () => {
          const r = await post(gw.url + '/v1/messages', { model, max_tokens: 5, messages: MESSAGES, stream }, ANTHROPIC_HEADERS);
          expect(r.status).toBe(200);
          if (stream) {
            expect(r.headers.get('content-type')).toMatch(/^text\/event-stream/);
            const { events } = await readSse(r);
            const types = events.map((e) => e.event);
            expect(types[0]).toBe('message_start');
            expect(types.filter((t) => t === 'content_block_delta')).toHaveLength(5);
            expect(types.at(-1)).toBe('message_stop');
          } else {
            const j = (await r.json()) as { type: string; content: Array<{ text: string }>; model: string };
            expect(j.type).toBe('message');
            expect(j.model).toBe(model);
            expect(j.content[0]!.text.length).toBeGreaterThan(0);
          }
        });
        expect(served).toEqual({ [backend]: 1 });
        await settled();
      });
    }
  }
});

describe('Ollama native paths route by body', () => {
  const stubs = (): Record<string, OllamaStub> => ({ oa, ob });
  const counts = (): Record<string, number> => ({ oa: oa.requests.length, ob: ob.requests.length });

  const cases: Array<{ label: string; path: string; body: (model: string) => Record<string, unknown>; check: (res: Response, stub: string) => Promise<void> }> = [
    {
      label: '/api/chat (streams by default)',
      path: '/api/chat',
      body: (model) => ({ model, messages: MESSAGES }),
      check: async (res, stub) => {
        expect(res.headers.get('content-type')).toMatch(/^application\/x-ndjson/);
        const lines = ndjson(await res.text());
        expect(lines).toHaveLength(4);
        expect(lines.slice(0, 3).map((l) => (l.message as { content: string }).content)).toEqual([`${stub}-0 `, `${stub}-1 `, `${stub}-2 `]);
        expect(lines.at(-1)!.done).toBe(true);
      },
    },
    {
      label: '/api/chat stream:false',
      path: '/api/chat',
      body: (model) => ({ model, messages: MESSAGES, stream: false }),
      check: async (res, stub) => {
        const j = (await res.json()) as { done: boolean; message: { content: string } };
        expect(j.done).toBe(true);
        expect(j.message.content).toContain(`${stub}-0`);
      },
    },
    {
      label: '/api/generate',
      path: '/api/generate',
      body: (model) => ({ model, prompt: 'Once upon a time' }),
      check: async (res, stub) => {
        const lines = ndjson(await res.text());
        expect(lines.map((l) => l.response).join('')).toBe(`${stub}-0 ${stub}-1 ${stub}-2 `);
        expect(lines.at(-1)!.done).toBe(true);
      },
    },
    {
      label: '/api/embed',
      path: '/api/embed',
      body: (model) => ({ model, input: ['hello'] }),
      check: async (res) => {
        const j = (await res.json()) as { embeddings: number[][] };
        expect(j.embeddings[0]).toEqual([0.1, 0.2, 0.3]);
      },
    },
    {
      label: '/api/embeddings (legacy)',
      path: '/api/embeddings',
      body: (model) => ({ model, prompt: 'hello' }),
      check: async (res) => {
        const j = (await res.json()) as { embedding: number[] };
        expect(j.embedding).toEqual([0.1, 0.2, 0.3]);
      },
    },
  ];

  for (const c of cases) {
    for (const [model, stub] of [
      ['o1', 'oa'],
      ['o3', 'ob'],
    ] as const) {
      it(`${c.label}: ${model} is served by ${stub}, body forwarded byte for byte`, async () => {
        const before = counts();
        const sent = JSON.stringify(c.body(model));
        const res = await post(gw.url + c.path, sent);
        expect(res.status).toBe(200);
        expect(res.headers.get('x-stub')).toBe(stub);
        await c.check(res, stub);
        const after = counts();
        expect(after[stub]! - before[stub]!).toBe(1);
        const other = stub === 'oa' ? 'ob' : 'oa';
        expect(after[other]).toBe(before[other]);
        const rec = stubs()[stub]!.requests.at(-1)!;
        expect(rec.method).toBe('POST');
        expect(rec.path).toBe(c.path);
        expect(rec.body).toBe(sent);
        // The routing headers the sidecar sets are for Envoy; the backend sees at most the chosen one.
        expect(rec.headers['x-warmroute-cluster']).toBeUndefined();
        await settled();
      });
    }
  }
});

describe('catalog endpoints answer from the sidecar', () => {
  it('GET /v1/models returns the union of all backends with a warmroute extension field', async () => {
    const { result: res, served } = await servedBy(gw, () => fetch(gw.url + '/v1/models'));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const j = (await res.json()) as { object: string; data: Array<{ id: string; object: string; owned_by: string; warmroute: { backends: Array<{ backend: string }> } }> };
    expect(j.object).toBe('list');
    expect(j.data.map((m) => m.id).sort()).toEqual(['m1', 'm2', 'm3', 'o1', 'o2', 'o3']);
    const by = Object.fromEntries(j.data.map((m) => [m.id, m]));
    for (const m of j.data) {
      expect(m.object).toBe('model');
      expect(Array.isArray(m.warmroute.backends)).toBe(true);
    }
    expect(by.m1!.warmroute.backends.map((b) => b.backend)).toEqual(['a']);
    expect(by.m3!.warmroute.backends.map((b) => b.backend)).toEqual(['b']);
    expect(by.o2!.warmroute.backends.map((b) => b.backend)).toEqual(['ob']);
    // Answered by the sidecar itself: no backend was asked.
    expect(served).toEqual({});
  });

  it('GET /v1/models with anthropic-version returns the Anthropic list shape', async () => {
    const res = await fetch(gw.url + '/v1/models', { headers: { 'anthropic-version': '2023-06-01' } });
    expect(res.status).toBe(200);
    const j = (await res.json()) as { data: Array<{ type: string; id: string; warmroute: unknown }>; has_more: boolean };
    expect(j.has_more).toBe(false);
    expect(j.data.map((m) => m.id).sort()).toEqual(['m1', 'm2', 'm3', 'o1', 'o2', 'o3']);
    expect(j.data.every((m) => m.type === 'model' && typeof m.warmroute === 'object')).toBe(true);
  });

  it("GET /api/tags returns Ollama's shape", async () => {
    const before = { oa: oa.requests.length, ob: ob.requests.length };
    const res = await fetch(gw.url + '/api/tags');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const j = (await res.json()) as { models: Array<Record<string, unknown>> };
    expect(Array.isArray(j.models)).toBe(true);
    expect(j.models.map((m) => m.name).sort()).toEqual(['m1', 'm2', 'm3', 'o1', 'o2', 'o3']);
    for (const m of j.models) {
      expect(m.model).toBe(m.name);
      expect(typeof m.modified_at).toBe('string');
      expect(Number.isNaN(Date.parse(m.modified_at as string))).toBe(false);
      expect(typeof m.size).toBe('number');
      expect(typeof m.digest).toBe('string');
      expect(m.details).toBeTypeOf('object');
    }
    expect({ oa: oa.requests.length, ob: ob.requests.length }).toEqual(before);
  });
});

describe('official OpenAI SDK', () => {
  const client = (): OpenAI => new OpenAI({ baseURL: gw.url + '/v1', apiKey: 'x', maxRetries: 0 });

  it('chat.completions.create non-stream (m2 → b)', async () => {
    const { result, served } = await servedBy(gw, () => client().chat.completions.create({ model: 'm2', messages: [{ role: 'user', content: 'hi' }] }));
    expect(result.object).toBe('chat.completion');
    expect(result.model).toBe('m2');
    expect(result.choices[0]!.message.content!.length).toBeGreaterThan(0);
    expect(served).toEqual({ b: 1 });
  });

  it('chat.completions.create stream (m1 → a)', async () => {
    const { result: text, served } = await servedBy(gw, async () => {
      const stream = await client().chat.completions.create({ model: 'm1', messages: [{ role: 'user', content: 'hi' }], stream: true });
      const parts: string[] = [];
      let finish: string | null | undefined;
      for await (const chunk of stream) {
        const c = chunk.choices[0];
        if (c?.delta.content) parts.push(c.delta.content);
        if (c?.finish_reason) finish = c.finish_reason;
      }
      expect(finish).toBe('stop');
      return parts;
    });
    expect(text).toHaveLength(5);
    expect(served).toEqual({ a: 1 });
    await settled();
  });

  it('embeddings.create (base64 by default) goes through', async () => {
    const { result, served } = await servedBy(gw, () => client().embeddings.create({ model: 'm3', input: 'hello' }));
    expect(result.data[0]!.embedding.length).toBeGreaterThan(0);
    expect(served).toEqual({ b: 1 });
  });

  it('models.list returns the union, each with the warmroute field', async () => {
    const ids: string[] = [];
    for await (const m of client().models.list()) {
      ids.push(m.id);
      expect((m as unknown as { warmroute?: unknown }).warmroute).toBeTypeOf('object');
    }
    expect(ids.sort()).toEqual(['m1', 'm2', 'm3', 'o1', 'o2', 'o3']);
  });

  it('an unknown model surfaces as NotFoundError with the message from our JSON body', async () => {
    const { result: err, served } = await servedBy(gw, () =>
      client()
        .chat.completions.create({ model: 'no-such-model', messages: [{ role: 'user', content: 'hi' }] })
        .then(
          () => undefined,
          (e: unknown) => e,
        ),
    );
    expect(err).toBeInstanceOf(OpenAI.NotFoundError);
    const e = err as InstanceType<typeof OpenAI.NotFoundError>;
    expect(e.status).toBe(404);
    expect(e.code).toBe('model_not_found');
    expect(e.message).toContain("The model 'no-such-model' is not served by any backend.");
    expect(served).toEqual({});
  });

  it('an unknown model on a stream request is also a NotFoundError (refused before any byte streams)', async () => {
    const err = await client()
      .chat.completions.create({ model: 'no-such-model', messages: [{ role: 'user', content: 'hi' }], stream: true })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(err).toBeInstanceOf(OpenAI.NotFoundError);
    expect((err as Error).message).toContain('no-such-model');
  });
});

describe('official Anthropic SDK', () => {
  const client = (): Anthropic => new Anthropic({ baseURL: gw.url, apiKey: 'x', maxRetries: 0 });

  it('messages.create non-stream (m2 → b)', async () => {
    const { result, served } = await servedBy(gw, () => client().messages.create({ model: 'm2', max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] }));
    expect(result.type).toBe('message');
    expect(result.model).toBe('m2');
    const block = result.content[0]!;
    expect(block.type).toBe('text');
    expect((block as { text: string }).text.length).toBeGreaterThan(0);
    expect(served).toEqual({ b: 1 });
  });

  it('messages.create stream (m1 → a)', async () => {
    const { result: deltas, served } = await servedBy(gw, async () => {
      const stream = await client().messages.create({ model: 'm1', max_tokens: 5, messages: [{ role: 'user', content: 'hi' }], stream: true });
      const types: string[] = [];
      const texts: string[] = [];
      for await (const ev of stream) {
        types.push(ev.type);
        if (ev.type === 'content_block_delta' && ev.delta.type === 'text_delta') texts.push(ev.delta.text);
      }
      expect(types[0]).toBe('message_start');
      expect(types.at(-1)).toBe('message_stop');
      return texts;
    });
    expect(deltas).toHaveLength(5);
    expect(served).toEqual({ a: 1 });
    await settled();
  });

  it('an unknown model surfaces as NotFoundError with the message from our JSON body', async () => {
    const err = await client()
      .messages.create({ model: 'no-such-model', max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(err).toBeInstanceOf(Anthropic.NotFoundError);
    const e = err as InstanceType<typeof Anthropic.NotFoundError>;
    expect(e.status).toBe(404);
    expect(e.message).toContain("The model 'no-such-model' is not served by any backend.");
    // The body is Anthropic-shaped: top-level type "error" and an error object.
    expect(e.error).toMatchObject({ type: 'error', error: { code: 'model_not_found' } });
  });
});
