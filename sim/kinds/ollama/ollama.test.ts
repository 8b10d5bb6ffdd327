import { afterEach, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import { startSim, type RunningSim, type SimSpec } from '../../index.ts';
import { getJson, postJson, timedChunks, until } from '../../testing/http.ts';

const running: RunningSim[] = [];
async function sim(spec: Partial<SimSpec> = {}): Promise<RunningSim> {
  const s = await startSim({ kind: 'ollama', models: [{ id: 'qwen:7b' }, { id: 'llama:8b' }, { id: 'gemma:4b' }], timeScale: 0.01, ...spec });
  running.push(s);
  return s;
}
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.close()));
});

const psNames = async (s: RunningSim): Promise<string[]> =>
  ((await getJson(`${s.url}/api/ps`)).json as { models: Array<{ name: string }> }).models.map((m) => m.name).sort();

function ndjson(text: string): Array<Record<string, unknown>> {
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe('ollama sim', () => {
  it('/, /api/version, /api/tags and /api/ps in Ollama shapes', async () => {
    const s = await sim({ models: [{ id: 'qwen:7b', loaded: true }, { id: 'llama:8b' }] });
    const root = await fetch(`${s.url}/`);
    expect(await root.text()).toBe('Ollama is running');
    expect((await getJson(`${s.url}/api/version`)).json).toEqual({ version: expect.any(String) });
    const tags = (await getJson(`${s.url}/api/tags`)).json as { models: Array<Record<string, unknown>> };
    expect(tags.models.map((m) => m.name)).toEqual(['qwen:7b', 'llama:8b']);
    expect(Object.keys(tags.models[0] ?? {})).toEqual(expect.arrayContaining(['name', 'model', 'modified_at', 'size', 'digest', 'details']));
    const ps = (await getJson(`${s.url}/api/ps`)).json as { models: Array<Record<string, unknown>> };
    expect(ps.models).toHaveLength(1);
    expect(Object.keys(ps.models[0] ?? {}).sort()).toEqual(['context_length', 'details', 'digest', 'expires_at', 'model', 'name', 'size', 'size_vram']);
    expect(new Date(String(ps.models[0]?.expires_at)).getTime()).toBeGreaterThan(Date.now());
    expect((await getJson(`${s.url}/v1/models`)).json).toMatchObject({ object: 'list', data: [{ id: 'qwen:7b', owned_by: 'library' }, { id: 'llama:8b' }] });
  });

  it('/api/chat streams NDJSON by default, with a final done object carrying durations', async () => {
    const s = await sim({ timeScale: 1, ttftMs: 5, tokensPerSec: 40, models: [{ id: 'qwen:7b', loaded: true }] });
    const res = await timedChunks(`${s.url}/api/chat`, { model: 'qwen:7b', messages: [{ role: 'user', content: 'hi' }], options: { num_predict: 6 } });
    expect(res.headers.get('content-type')).toBe('application/x-ndjson');
    expect(res.chunks.length).toBeGreaterThan(2);
    expect((res.chunks.at(-1)?.at ?? 0) - (res.chunks[0]?.at ?? 0)).toBeGreaterThan(60);
    const lines = ndjson(res.chunks.map((c) => c.text).join(''));
    expect(lines).toHaveLength(7);
    expect(lines[0]).toMatchObject({ model: 'qwen:7b', message: { role: 'assistant' }, done: false });
    expect(lines.at(-1)).toMatchObject({ done: true, done_reason: 'length', eval_count: 6, message: { content: '' } });
    expect(Object.keys(lines.at(-1) ?? {})).toEqual(
      expect.arrayContaining(['total_duration', 'load_duration', 'prompt_eval_count', 'prompt_eval_duration', 'eval_count', 'eval_duration']),
    );
  });

  it('/api/generate with stream:false returns one object; /api/embed returns vectors', async () => {
    const s = await sim();
    const gen = await postJson(`${s.url}/api/generate`, { model: 'qwen:7b', prompt: 'hi', stream: false, options: { num_predict: 3 } });
    expect(gen.json()).toMatchObject({ model: 'qwen:7b', done: true, done_reason: 'length', eval_count: 3, response: expect.stringMatching(/\S/) });
    expect(gen.json()).toHaveProperty('context');
    const emb = await postJson(`${s.url}/api/embed`, { model: 'qwen:7b', input: ['a', 'b'] });
    expect(emb.json()).toMatchObject({ model: 'qwen:7b', embeddings: [expect.any(Array), expect.any(Array)] });
  });

  it('loads on demand and evicts the least recently used model beyond maxLoaded', async () => {
    const s = await sim({ maxLoaded: 2 });
    const chat = (model: string): Promise<unknown> => postJson(`${s.url}/api/chat`, { model, messages: [{ role: 'user', content: 'x' }], stream: false, options: { num_predict: 1 } });
    await chat('qwen:7b');
    await chat('llama:8b');
    expect(await psNames(s)).toEqual(['llama:8b', 'qwen:7b']);
    await chat('qwen:7b'); // llama:8b is now the LRU
    await chat('gemma:4b');
    expect(await psNames(s)).toEqual(['gemma:4b', 'qwen:7b']);
    expect(s.stats()).toMatchObject({ loads: 3, evictions: 1 });
  });

  it('a cold request waits for the scaled load time', async () => {
    // (500 + 8 GB / 4 GB/s * 1000) * 0.05 = 125 ms
    const s = await sim({ models: [{ id: 'big:70b', sizeGB: 8 }], timeScale: 0.05, loadGBps: 4 });
    const t0 = performance.now();
    const p = postJson(`${s.url}/api/generate`, { model: 'big:70b', prompt: 'x', stream: false, options: { num_predict: 1 } });
    await until(() => s.stats().loading.length === 1);
    await p;
    expect(performance.now() - t0).toBeGreaterThanOrEqual(120);
  });

  it('empty prompts preload and keep_alive 0 unloads', async () => {
    const s = await sim();
    expect((await postJson(`${s.url}/api/generate`, { model: 'llama:8b' })).json()).toMatchObject({ done: true, done_reason: 'load', response: '' });
    expect(await psNames(s)).toEqual(['llama:8b']);
    expect((await postJson(`${s.url}/api/generate`, { model: 'llama:8b', keep_alive: 0 })).json()).toMatchObject({ done_reason: 'unload' });
    expect(await psNames(s)).toEqual([]);
  });

  it('one slot per model by default: a second request to the same model waits', async () => {
    const s = await sim({ timeScale: 1, ttftMs: 5, tokensPerSec: 100, models: [{ id: 'qwen:7b', loaded: true }] });
    const body = { model: 'qwen:7b', messages: [{ role: 'user', content: 'x' }], stream: false, options: { num_predict: 30 } };
    const reqs = [postJson(`${s.url}/api/chat`, body), postJson(`${s.url}/api/chat`, body)];
    await until(() => s.stats().active === 1 && s.stats().queued === 1);
    await Promise.all(reqs);
  });

  it('unknown model is a 404 with Ollama error text; the OpenAI-compatible API works', async () => {
    const s = await sim();
    const res = await postJson(`${s.url}/api/chat`, { model: 'nope', messages: [] });
    expect(res.status).toBe(404);
    expect(res.json()).toEqual({ error: 'model "nope" not found, try pulling it first' });
    const client = new OpenAI({ baseURL: `${s.url}/v1`, apiKey: 'x' });
    const stream = await client.chat.completions.create({ model: 'gemma:4b', messages: [{ role: 'user', content: 'hi' }], max_tokens: 3, stream: true });
    let text = '';
    for await (const c of stream) text += c.choices[0]?.delta.content ?? '';
    expect(text.length).toBeGreaterThan(0);
    expect(await psNames(s)).toEqual(['gemma:4b']);
  });
});
