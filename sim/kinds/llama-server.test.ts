import { afterEach, describe, expect, it } from 'vitest';
import { startSim, type RunningSim, type SimSpec } from '../index.ts';
import { readFixture, readFixtureJson } from '../testing/fixtures.ts';
import { parseSse, sseJson } from '../testing/sse.ts';
import { shapeDiff } from '../testing/shape.ts';
import { getJson, postJson, until } from '../testing/http.ts';

const FX = 'llama-server';
const running: RunningSim[] = [];
async function sim(spec: Partial<SimSpec> = {}): Promise<RunningSim> {
  const s = await startSim({ kind: 'llama-server', models: [{ id: 'tiny-a' }], timeScale: 0.01, ...spec });
  running.push(s);
  return s;
}
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.close()));
});

function metric(text: string, name: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`llamacpp:${name} `));
  return Number(line?.split(' ')[1]);
}

function metricNames(text: string): string[] {
  return text
    .split('\n')
    .filter((l) => l.startsWith('llamacpp:'))
    .map((l) => l.split(' ')[0] ?? '');
}

describe('llama-server sim: endpoints agree with the recordings', () => {
  it('/health, /v1/health, /models, /v1/models, /props', async () => {
    const s = await sim();
    for (const [path, file] of [
      ['/health', 'GET_health.http'],
      ['/v1/health', 'GET_v1_health.http'],
      ['/models', 'GET_models.http'],
      ['/v1/models', 'GET_v1_models.http'],
    ] as const) {
      const rec = readFixtureJson(FX, file);
      const got = await getJson(s.url + path);
      expect(got.status, path).toBe(rec.status);
      expect(got.headers.get('content-type')).toBe(rec.headers['content-type']);
      expect(shapeDiff(rec.json, got.json), path).toEqual([]);
    }
    const props = await getJson(`${s.url}/props`);
    const rec = readFixtureJson(FX, 'GET_props.http').json as Record<string, Record<string, unknown>>;
    const { params: _p, ...settings } = rec.default_generation_settings ?? {};
    expect(shapeDiff({ ...rec, default_generation_settings: settings }, props.json)).toEqual([]);
    expect(props.json).toMatchObject({ total_slots: 4, model_alias: 'tiny-a' });
  });

  it('/slots and /metrics show busy slots and deferred requests like the busy recordings', async () => {
    const s = await sim({ slots: 2, timeScale: 1, ttftMs: 5, tokensPerSec: 50 });
    const idle = await getJson(`${s.url}/slots`);
    expect(shapeDiff(readFixtureJson(FX, 'GET_slots.http').json, idle.json)).toEqual([]);
    expect(idle.json).toHaveLength(2);
    const idleMetrics = await (await fetch(`${s.url}/metrics`)).text();
    expect(metricNames(idleMetrics)).toEqual(metricNames(readFixture(FX, 'GET_metrics.http').body));

    const reqs = [1, 2, 3].map(() => postJson(`${s.url}/v1/chat/completions`, { messages: [{ role: 'user', content: 'x' }], max_tokens: 15 }));
    await until(() => s.stats().active === 2 && s.stats().queued === 1);
    const busy = (await getJson(`${s.url}/slots`)).json as Array<{ is_processing: boolean }>;
    expect(busy.map((x) => x.is_processing)).toEqual([true, true]);
    const busyMetrics = await fetch(`${s.url}/metrics`);
    expect(busyMetrics.headers.get('content-type')).toBe(readFixture(FX, 'GET_metrics_busy.http').headers['content-type']);
    const text = await busyMetrics.text();
    expect(metric(text, 'requests_processing')).toBe(2);
    expect(metric(text, 'requests_deferred')).toBe(1);
    await Promise.all(reqs);
    expect(metric(await (await fetch(`${s.url}/metrics`)).text(), 'requests_processing')).toBe(0);
  });

  it('answers any model name with its own model', async () => {
    const s = await sim();
    const res = await postJson(`${s.url}/v1/chat/completions`, { model: 'no-such-model', messages: [{ role: 'user', content: 'hi' }], max_tokens: 3 });
    const rec = readFixtureJson(FX, 'POST_v1_chat_completions_unknown_model.http');
    expect(res.status).toBe(rec.status);
    expect(shapeDiff(rec.json, res.json())).toEqual([]);
    expect(res.json()).toMatchObject({ model: 'tiny-a' });
  });

  it('chat stream: no role chunk, finish chunk, usage chunk with timings, [DONE]', async () => {
    const s = await sim();
    const res = await postJson(`${s.url}/v1/chat/completions`, {
      model: 'tiny-a',
      messages: [{ role: 'user', content: 'hi' }],
      max_tokens: 3,
      stream: true,
      stream_options: { include_usage: true },
    });
    const rec = readFixture(FX, 'POST_v1_chat_completions_stream.http');
    expect(res.headers.get('content-type')).toBe(rec.headers['content-type']);
    expect(res.headers.get('server')).toBe('llama.cpp');
    const ours = parseSse(res.text);
    const theirs = parseSse(rec.body);
    expect(ours.length).toBe(theirs.length);
    const a = sseJson(ours);
    const b = sseJson(theirs);
    b.forEach((chunk, i) => expect(shapeDiff(chunk, a[i]), `chunk ${i}`).toEqual([]));
    expect(ours.at(-1)?.data).toBe('[DONE]');
  });

  it('completions, embeddings, responses and messages keep the recorded shapes', async () => {
    const s = await sim();
    const cases: Array<[string, unknown, string]> = [
      ['/v1/completions', { prompt: 'x', max_tokens: 6 }, 'POST_v1_completions.http'],
      ['/v1/embeddings', { input: 'x' }, 'POST_v1_embeddings.http'],
      ['/v1/responses', { input: 'x', max_output_tokens: 4 }, 'POST_v1_responses.http'],
      ['/v1/messages', { max_tokens: 4, messages: [{ role: 'user', content: 'x' }] }, 'POST_v1_messages.http'],
    ];
    for (const [path, body, file] of cases) {
      const res = await postJson(s.url + path, body);
      expect(res.status, path).toBe(200);
      expect(shapeDiff(readFixtureJson(FX, file).json, res.json()), path).toEqual([]);
    }
    const stream = await postJson(`${s.url}/v1/completions`, { prompt: 'x', max_tokens: 6, stream: true });
    const ours = sseJson(parseSse(stream.text));
    const theirs = sseJson(parseSse(readFixture(FX, 'POST_v1_completions_stream.http').body));
    expect(ours.length).toBe(theirs.length);
    expect(shapeDiff(theirs.at(-1), ours.at(-1))).toEqual([]);
  });

  it('malformed JSON is a 500 server_error as recorded; unknown paths a 404', async () => {
    const s = await sim();
    const res = await postJson(`${s.url}/v1/chat/completions`, '{"messages": [');
    const rec = readFixtureJson(FX, 'POST_v1_chat_completions_malformed.http');
    expect(res.status).toBe(rec.status);
    expect(shapeDiff(rec.json, res.json())).toEqual([]);
    expect(res.json()).toMatchObject({ error: { type: 'server_error' } });
    const missing = await getJson(`${s.url}/nope`);
    expect(missing.status).toBe(404);
    expect(missing.json).toEqual({ error: { message: 'File Not Found', type: 'not_found_error', code: 404 } });
  });
});

describe('llama-server sim: loading', () => {
  it('answers 503 "Loading model" until its model is loaded, except the model lists', async () => {
    // (500 ms + 2 GB / 2 GB/s) * 0.1 = 150 ms
    const s = await sim({ models: [{ id: 'tiny-a', sizeGB: 2, loaded: false }], timeScale: 0.1 });
    const t0 = performance.now();
    const health = await getJson(`${s.url}/health`);
    expect(health.status).toBe(503);
    expect(health.json).toEqual({ error: { code: 503, message: 'Loading model', type: 'unavailable_error' } });
    expect((await postJson(`${s.url}/v1/chat/completions`, { messages: [] })).status).toBe(503);
    const models = await getJson(`${s.url}/v1/models`);
    expect(models.status).toBe(200);
    expect(models.json).toMatchObject({ data: [{ id: 'tiny-a', meta: null }] });
    expect(s.stats().loading).toEqual(['tiny-a']);
    await until(() => s.stats().loaded.length === 1);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(140);
    expect((await getJson(`${s.url}/health`)).status).toBe(200);
    expect(s.stats().loads).toBe(1);
  });

  it('a disconnecting client frees its slot for the next request', async () => {
    const s = await sim({ slots: 1, timeScale: 1, ttftMs: 5, tokensPerSec: 20 });
    const ctrl = new AbortController();
    const first = postJson(`${s.url}/v1/chat/completions`, { messages: [], max_tokens: 500, stream: true }, { signal: ctrl.signal });
    await until(() => s.stats().active === 1);
    const second = postJson(`${s.url}/v1/chat/completions`, { messages: [], max_tokens: 1 });
    await until(() => s.stats().queued === 1);
    ctrl.abort();
    await expect(first).rejects.toThrow();
    expect((await second).status).toBe(200);
    expect(s.stats()).toMatchObject({ active: 0, queued: 0 });
  });

  it('refuses a spec with more than one model', async () => {
    await expect(startSim({ kind: 'llama-server', models: [{ id: 'a' }, { id: 'b' }] })).rejects.toThrow(/exactly one/);
  });
});
