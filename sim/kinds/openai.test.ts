import { afterEach, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';
import { startSim, type RunningSim, type SimSpec } from '../index.ts';
import { readFixture, readFixtureJson } from '../testing/fixtures.ts';
import { parseSse, sseJson } from '../testing/sse.ts';
import { shapeDiff } from '../testing/shape.ts';
import { getJson, postJson, timedChunks, until } from '../testing/http.ts';

const running: RunningSim[] = [];
async function sim(spec: Partial<SimSpec> = {}): Promise<RunningSim> {
  const s = await startSim({ kind: 'openai', models: [{ id: 'm1' }, { id: 'm2' }], timeScale: 0.01, ...spec });
  running.push(s);
  return s;
}
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.close()));
});

function withoutTimings(v: unknown): unknown {
  const { timings: _t, ...rest } = v as Record<string, unknown>;
  return rest;
}

describe('openai sim: listing and health', () => {
  it('lists its models OpenAI-style and answers /health', async () => {
    const s = await sim();
    const models = await getJson(`${s.url}/v1/models`);
    expect(models.status).toBe(200);
    expect(models.json).toMatchObject({ object: 'list', data: [{ id: 'm1', object: 'model' }, { id: 'm2', object: 'model' }] });
    const entry = (models.json as { data: Array<Record<string, unknown>> }).data[0];
    expect(Object.keys(entry ?? {}).sort()).toEqual(['created', 'id', 'object', 'owned_by']);
    expect((await getJson(`${s.url}/health`)).json).toEqual({ status: 'ok' });
  });
});

describe('openai sim: wire shapes agree with the recorded llama-server answers', () => {
  it('chat completion (non-stream)', async () => {
    const s = await sim();
    const res = await postJson(`${s.url}/v1/chat/completions`, { model: 'm1', messages: [{ role: 'user', content: 'hi' }], max_tokens: 6 });
    expect(res.status).toBe(200);
    const recorded = readFixtureJson('llama-server', 'POST_v1_chat_completions.http').json;
    expect(shapeDiff(withoutTimings(recorded), res.json())).toEqual([]);
    expect(res.json()).toMatchObject({ model: 'm1', object: 'chat.completion', usage: { completion_tokens: 6 } });
  });

  it('chat completion stream: role chunk, content chunks, finish, usage, [DONE]', async () => {
    const s = await sim();
    const res = await postJson(`${s.url}/v1/chat/completions`, {
      model: 'm1',
      messages: [{ role: 'user', content: 'hi' }],
      max_tokens: 3,
      stream: true,
      stream_options: { include_usage: true },
    });
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    const events = parseSse(res.text);
    expect(events.at(-1)?.data).toBe('[DONE]');
    const chunks = sseJson(events) as Array<{ choices: Array<{ delta: Record<string, unknown>; finish_reason: string | null }>; usage?: unknown }>;
    expect(chunks[0]?.choices[0]?.delta).toEqual({ role: 'assistant', content: '' });
    expect(chunks.slice(1, 4).map((c) => typeof c.choices[0]?.delta.content)).toEqual(['string', 'string', 'string']);
    expect(chunks[4]?.choices[0]).toMatchObject({ finish_reason: 'length', delta: {} });
    expect(chunks[5]).toMatchObject({ choices: [], usage: { completion_tokens: 3 } });
    expect(chunks).toHaveLength(6);
    const recorded = sseJson(parseSse(readFixture('llama-server', 'POST_v1_chat_completions_stream.http').body));
    expect(shapeDiff(recorded[0], chunks[1])).toEqual([]);
    expect(shapeDiff(withoutTimings(recorded.at(-1)), chunks[5])).toEqual([]);
  });

  it('no usage chunk unless stream_options.include_usage', async () => {
    const s = await sim();
    const res = await postJson(`${s.url}/v1/chat/completions`, { model: 'm1', messages: [], max_tokens: 2, stream: true });
    const chunks = sseJson(parseSse(res.text)) as Array<{ choices: unknown[] }>;
    expect(chunks.every((c) => c.choices.length === 1)).toBe(true);
  });

  it('completions, streamed and not', async () => {
    const s = await sim();
    const plain = await postJson(`${s.url}/v1/completions`, { model: 'm2', prompt: 'once', max_tokens: 6 });
    expect(shapeDiff(withoutTimings(readFixtureJson('llama-server', 'POST_v1_completions.http').json), plain.json())).toEqual([]);
    const streamed = await postJson(`${s.url}/v1/completions`, { model: 'm2', prompt: 'once', max_tokens: 6, stream: true });
    const events = parseSse(streamed.text);
    const recorded = parseSse(readFixture('llama-server', 'POST_v1_completions_stream.http').body);
    expect(events.length).toBe(recorded.length);
    const chunks = sseJson(events);
    const recordedChunks = sseJson(recorded);
    expect(shapeDiff(recordedChunks[0], chunks[0])).toEqual([]);
    expect(shapeDiff(withoutTimings(recordedChunks.at(-1)), chunks.at(-1))).toEqual([]);
  });

  it('embeddings', async () => {
    const s = await sim();
    const res = await postJson(`${s.url}/v1/embeddings`, { model: 'm1', input: 'hello' });
    expect(shapeDiff(readFixtureJson('llama-server', 'POST_v1_embeddings.http').json, res.json())).toEqual([]);
  });

  it('responses: same event names in the same order as recorded', async () => {
    const s = await sim();
    const res = await postJson(`${s.url}/v1/responses`, { model: 'm1', input: 'hi', max_output_tokens: 4, stream: true });
    const names = parseSse(res.text).map((e) => e.event);
    const recorded = parseSse(readFixture('llama-server', 'POST_v1_responses_stream.http').body).map((e) => e.event);
    const collapse = (xs: Array<string | undefined>): Array<string | undefined> => xs.filter((x, i) => x !== xs[i - 1]);
    expect(collapse(names)).toEqual(collapse(recorded));
    expect(names.filter((n) => n === 'response.output_text.delta')).toHaveLength(4);
    const plain = await postJson(`${s.url}/v1/responses`, { model: 'm1', input: 'hi', max_output_tokens: 4 });
    expect(shapeDiff(readFixtureJson('llama-server', 'POST_v1_responses.http').json, plain.json())).toEqual([]);
  });

  it('anthropic messages: same event order and shapes as recorded', async () => {
    const s = await sim();
    const res = await postJson(`${s.url}/v1/messages`, { model: 'm1', max_tokens: 5, stream: true, messages: [{ role: 'user', content: 'hi' }] });
    const events = parseSse(res.text);
    const recorded = parseSse(readFixture('llama-server', 'POST_v1_messages_stream.http').body);
    expect(events.map((e) => e.event)).toEqual(recorded.map((e) => e.event));
    const ours = sseJson(events);
    sseJson(recorded).forEach((r, i) => expect(shapeDiff(r, ours[i])).toEqual([]));
    const plain = await postJson(`${s.url}/v1/messages`, { model: 'm1', max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] });
    expect(shapeDiff(readFixtureJson('llama-server', 'POST_v1_messages.http').json, plain.json())).toEqual([]);
  });
});

describe('openai sim: official clients', () => {
  it('openai client parses the chat stream', async () => {
    const s = await sim();
    const client = new OpenAI({ baseURL: `${s.url}/v1`, apiKey: 'x' });
    const stream = await client.chat.completions.create({ model: 'm1', messages: [{ role: 'user', content: 'hi' }], max_tokens: 5, stream: true });
    let text = '';
    let finish: string | null | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    expect(text.length).toBeGreaterThan(0);
    expect(finish).toBe('length');
    const final = await client.chat.completions.stream({ model: 'm2', messages: [{ role: 'user', content: 'hi' }], max_tokens: 3 }).finalChatCompletion();
    expect(final.choices[0]?.message.content).toBe(text.slice(0, final.choices[0]?.message.content?.length));
  });

  it('openai client: responses stream, completions, embeddings', async () => {
    const s = await sim();
    const client = new OpenAI({ baseURL: `${s.url}/v1`, apiKey: 'x' });
    const response = await client.responses.stream({ model: 'm1', input: 'hi', max_output_tokens: 4 }).finalResponse();
    expect(response.output_text.length).toBeGreaterThan(0);
    expect(response.status).toBe('completed');
    const completion = await client.completions.create({ model: 'm1', prompt: 'x', max_tokens: 2 });
    expect(completion.choices[0]?.text.length).toBeGreaterThan(0);
    const emb = await client.embeddings.create({ model: 'm1', input: ['a', 'b'] });
    expect(emb.data).toHaveLength(2);
    expect(emb.data[0]?.embedding).toHaveLength(64);
    expect(emb.data[0]?.embedding).not.toEqual(emb.data[1]?.embedding);
  });

  it('anthropic client parses the messages stream', async () => {
    const s = await sim();
    const client = new Anthropic({ baseURL: s.url, apiKey: 'x' });
    const msg = await client.messages.stream({ model: 'm1', max_tokens: 4, messages: [{ role: 'user', content: 'hi' }] }).finalMessage();
    expect(msg.stop_reason).toBe('max_tokens');
    expect(msg.usage.output_tokens).toBe(4);
    const block = msg.content[0];
    expect(block?.type === 'text' && block.text.length > 0).toBe(true);
    const raw = await client.messages.create({ model: 'm1', max_tokens: 2, messages: [{ role: 'user', content: 'hi' }], stream: true });
    const types: string[] = [];
    for await (const ev of raw) types.push(ev.type);
    expect(types[0]).toBe('message_start');
    expect(types.at(-1)).toBe('message_stop');
  });
});

describe('openai sim: errors', () => {
  it('malformed JSON is a 400 with an OpenAI-style error', async () => {
    const s = await sim();
    const res = await postJson(`${s.url}/v1/chat/completions`, '{"model":"m1","messages":[');
    expect(res.status).toBe(400);
    expect(Object.keys((res.json() as { error: object }).error)).toEqual(expect.arrayContaining(['code', 'message', 'type']));
  });

  it('unknown and missing models are rejected', async () => {
    const s = await sim();
    expect((await postJson(`${s.url}/v1/chat/completions`, { model: 'nope', messages: [] })).status).toBe(404);
    expect((await postJson(`${s.url}/v1/chat/completions`, { messages: [] })).status).toBe(400);
    expect((await postJson(`${s.url}/v1/nothing`, {})).status).toBe(404);
  });
});

describe('openai sim: timing and capacity', () => {
  it('streams tokens as they are produced, spread over time', async () => {
    const s = await sim({ timeScale: 1, ttftMs: 10, tokensPerSec: 40 });
    const res = await timedChunks(`${s.url}/v1/chat/completions`, { model: 'm1', messages: [], max_tokens: 8, stream: true });
    expect(res.status).toBe(200);
    expect(res.chunks.length).toBeGreaterThan(3);
    // 8 tokens at 40/s: the last arrives at least ~175 ms after the first.
    const first = res.chunks[0]?.at ?? 0;
    const last = res.chunks.at(-1)?.at ?? 0;
    expect(last - first).toBeGreaterThan(120);
  });

  it('requests beyond the slots wait inside the server', async () => {
    const s = await sim({ slots: 1, timeScale: 1, ttftMs: 5, tokensPerSec: 100 });
    const body = { model: 'm1', messages: [], max_tokens: 30 };
    const first = postJson(`${s.url}/v1/chat/completions`, body);
    const second = postJson(`${s.url}/v1/chat/completions`, body);
    await until(() => s.stats().active === 1 && s.stats().queued === 1);
    const order: string[] = [];
    await Promise.all([first.then(() => order.push('first')), second.then(() => order.push('second'))]);
    expect(order).toEqual(['first', 'second']);
    expect(s.stats()).toMatchObject({ active: 0, queued: 0, requests: 2 });
  });

  it('a client that disconnects frees its slot at once', async () => {
    const s = await sim({ slots: 1, timeScale: 1, ttftMs: 5, tokensPerSec: 10 });
    const ctrl = new AbortController();
    const long = postJson(`${s.url}/v1/chat/completions`, { model: 'm1', messages: [], max_tokens: 1000, stream: true }, { signal: ctrl.signal });
    await until(() => s.stats().active === 1);
    ctrl.abort();
    await expect(long).rejects.toThrow();
    await until(() => s.stats().active === 0, 1000);
    const t0 = performance.now();
    const next = await postJson(`${s.url}/v1/chat/completions`, { model: 'm1', messages: [], max_tokens: 1 });
    expect(next.status).toBe(200);
    expect(performance.now() - t0).toBeLessThan(5000);
  });

  it('a model configured cold loads on first use, taking the load time', async () => {
    const s = await sim({ models: [{ id: 'big', sizeGB: 8, loaded: false }], timeScale: 0.05, loadInitMs: 500, loadGBps: 4 });
    expect(s.stats().loaded).toEqual([]);
    const t0 = performance.now();
    const req = postJson(`${s.url}/v1/chat/completions`, { model: 'big', messages: [], max_tokens: 1 });
    await until(() => s.stats().loading.includes('big'));
    await req;
    // (500 + 8/4*1000) * 0.05 = 125 ms
    expect(performance.now() - t0).toBeGreaterThanOrEqual(120);
    expect(s.stats()).toMatchObject({ loaded: ['big'], loads: 1 });
  });
});
