import { afterEach, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import { startSim, type RunningSim, type SimSpec } from '../index.ts';
import { getJson, postJson, until } from '../testing/http.ts';

const running: RunningSim[] = [];
async function sim(spec: Partial<SimSpec> = {}): Promise<RunningSim> {
  const s = await startSim({ kind: 'omlx', models: [{ id: 'qwen3-30b', sizeGB: 17 }, { id: 'gemma-27b', sizeGB: 16 }, { id: 'llama-8b', sizeGB: 5 }], timeScale: 0.01, ...spec });
  running.push(s);
  return s;
}
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.close()));
});

type Status = { loaded_count: number; models: Array<{ id: string; loaded: boolean; is_loading: boolean }> };
const loadedIds = async (s: RunningSim): Promise<string[]> =>
  ((await getJson(`${s.url}/v1/models/status`)).json as Status).models.filter((m) => m.loaded).map((m) => m.id).sort();

describe('omlx sim', () => {
  it('serves /health, /v1/models, /v1/models/status and /api/status with the documented keys', async () => {
    const s = await sim();
    expect((await getJson(`${s.url}/health`)).json).toMatchObject({ status: 'healthy', engine_pool: { model_count: 3, loaded_count: 0 } });
    const models = (await getJson(`${s.url}/v1/models`)).json as { data: Array<Record<string, unknown>> };
    expect(models.data.map((m) => m.owned_by)).toEqual(['omlx', 'omlx', 'omlx']);
    const status = (await getJson(`${s.url}/v1/models/status`)).json as Status & Record<string, unknown>;
    expect(Object.keys(status)).toEqual(expect.arrayContaining(['max_model_memory', 'current_model_memory', 'model_count', 'loaded_count', 'models']));
    expect(Object.keys(status.models[0] ?? {})).toEqual(
      expect.arrayContaining(['id', 'loaded', 'is_loading', 'estimated_size', 'pinned', 'engine_type', 'model_type', 'last_access']),
    );
    const api = (await getJson(`${s.url}/api/status`)).json;
    expect(api).toMatchObject({ models_loaded: 0, models_loading: 0, active_requests: 0, waiting_requests: 0, loaded_models: [] });
  });

  it('loads on demand (is_loading while it loads) and evicts LRU at maxLoaded', async () => {
    const s = await sim({ maxLoaded: 2, timeScale: 0.02 });
    const chat = (model: string): Promise<unknown> => postJson(`${s.url}/v1/chat/completions`, { model, messages: [{ role: 'user', content: 'x' }], max_tokens: 1 });
    const first = chat('qwen3-30b');
    await until(() => s.stats().loading.length === 1);
    const during = (await getJson(`${s.url}/v1/models/status`)).json as Status;
    expect(during.models.find((m) => m.id === 'qwen3-30b')).toMatchObject({ loaded: false, is_loading: true });
    expect((await getJson(`${s.url}/api/status`)).json).toMatchObject({ models_loading: 1 });
    await first;
    await chat('gemma-27b');
    await chat('qwen3-30b');
    await chat('llama-8b');
    expect(await loadedIds(s)).toEqual(['llama-8b', 'qwen3-30b']);
    expect(s.stats()).toMatchObject({ loads: 3, evictions: 1 });
  });

  it('reports active and waiting requests across the server-wide limit', async () => {
    const s = await sim({ slots: 1, timeScale: 1, ttftMs: 5, tokensPerSec: 100, models: [{ id: 'a', loaded: true }, { id: 'b', loaded: true }] });
    const reqs = ['a', 'b'].map((model) => postJson(`${s.url}/v1/chat/completions`, { model, messages: [], max_tokens: 30 }));
    await until(() => s.stats().active === 1 && s.stats().queued === 1);
    expect((await getJson(`${s.url}/api/status`)).json).toMatchObject({ active_requests: 1, waiting_requests: 1 });
    await Promise.all(reqs);
  });

  it('unload endpoint, unknown-model 404, default model when none is named, official client', async () => {
    const s = await sim();
    expect((await postJson(`${s.url}/v1/models/llama-8b/unload`, {})).status).toBe(400);
    const res = await postJson(`${s.url}/v1/chat/completions`, { messages: [{ role: 'user', content: 'x' }], max_tokens: 1 });
    expect(res.json()).toMatchObject({ model: 'qwen3-30b' });
    const unload = await postJson(`${s.url}/v1/models/qwen3-30b/unload`, {});
    expect(unload.json()).toEqual({ status: 'ok', model_id: 'qwen3-30b' });
    expect(await loadedIds(s)).toEqual([]);
    const missing = await postJson(`${s.url}/v1/chat/completions`, { model: 'nope', messages: [] });
    expect(missing.status).toBe(404);
    expect(missing.json()).toMatchObject({ error: { type: 'not_found_error', message: expect.stringContaining("Model 'nope' not found") } });
    const client = new OpenAI({ baseURL: `${s.url}/v1`, apiKey: 'x' });
    const msg = await client.chat.completions.create({ model: 'llama-8b', messages: [{ role: 'user', content: 'hi' }], max_tokens: 2 });
    expect(msg.choices[0]?.message.content?.length).toBeGreaterThan(0);
  });
});
