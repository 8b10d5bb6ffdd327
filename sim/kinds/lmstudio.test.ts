import { afterEach, describe, expect, it } from 'vitest';
import { startSim, type RunningSim, type SimSpec } from '../index.ts';
import { getJson, postJson, until } from '../testing/http.ts';

const running: RunningSim[] = [];
async function sim(spec: Partial<SimSpec> = {}): Promise<RunningSim> {
  const s = await startSim({ kind: 'lmstudio', models: [{ id: 'qwen2.5-7b-instruct' }, { id: 'llama-3.1-8b' }], timeScale: 0.01, ...spec });
  running.push(s);
  return s;
}
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.close()));
});

type V0 = { data: Array<{ id: string; state: string }> };
const states = async (s: RunningSim): Promise<Record<string, string>> =>
  Object.fromEntries(((await getJson(`${s.url}/api/v0/models`)).json as V0).data.map((m) => [m.id, m.state]));

describe('lmstudio sim', () => {
  it('lists models on /v1/models, /api/v0/models (state) and /api/v1/models (loaded_instances)', async () => {
    const s = await sim();
    const v1 = (await getJson(`${s.url}/v1/models`)).json as { data: Array<Record<string, unknown>> };
    expect(v1.data.map((m) => Object.keys(m).sort())).toEqual([
      ['id', 'object', 'owned_by'],
      ['id', 'object', 'owned_by'],
    ]);
    const v0 = (await getJson(`${s.url}/api/v0/models`)).json as { data: Array<Record<string, unknown>> };
    expect(Object.keys(v0.data[0] ?? {})).toEqual(
      expect.arrayContaining(['id', 'object', 'type', 'publisher', 'arch', 'compatibility_type', 'quantization', 'state', 'max_context_length']),
    );
    expect(await states(s)).toEqual({ 'qwen2.5-7b-instruct': 'not-loaded', 'llama-3.1-8b': 'not-loaded' });
    expect((await getJson(`${s.url}/api/v0/models/llama-3.1-8b`)).json).toMatchObject({ id: 'llama-3.1-8b', state: 'not-loaded' });
  });

  it('JIT-loads the requested model and auto-evicts the previous one', async () => {
    const s = await sim({ timeScale: 0.02 });
    const p = postJson(`${s.url}/v1/chat/completions`, { model: 'qwen2.5-7b-instruct', messages: [{ role: 'user', content: 'x' }], max_tokens: 1 });
    await until(() => s.stats().loading.length === 1);
    expect((await states(s))['qwen2.5-7b-instruct']).toBe('not-loaded');
    expect((await p).status).toBe(200);
    expect(await states(s)).toEqual({ 'qwen2.5-7b-instruct': 'loaded', 'llama-3.1-8b': 'not-loaded' });
    const v1 = (await getJson(`${s.url}/api/v1/models`)).json as { models: Array<{ key: string; loaded_instances: Array<{ config: { parallel: number } }> }> };
    expect(v1.models.find((m) => m.key === 'qwen2.5-7b-instruct')?.loaded_instances[0]?.config.parallel).toBe(4);
    await postJson(`${s.url}/v1/completions`, { model: 'llama-3.1-8b', prompt: 'x', max_tokens: 1 });
    expect(await states(s)).toEqual({ 'qwen2.5-7b-instruct': 'not-loaded', 'llama-3.1-8b': 'loaded' });
    expect(s.stats()).toMatchObject({ loads: 2, evictions: 1 });
  });

  it('REST v1 load/unload and unknown model errors', async () => {
    const s = await sim();
    const load = await postJson(`${s.url}/api/v1/models/load`, { model: 'llama-3.1-8b' });
    expect(load.json()).toMatchObject({ type: 'llm', instance_id: 'llama-3.1-8b', status: 'loaded', load_time_seconds: expect.any(Number) });
    expect((await states(s))['llama-3.1-8b']).toBe('loaded');
    expect((await postJson(`${s.url}/api/v1/models/unload`, { instance_id: 'llama-3.1-8b' })).json()).toEqual({ instance_id: 'llama-3.1-8b' });
    expect((await states(s))['llama-3.1-8b']).toBe('not-loaded');
    const missing = await postJson(`${s.url}/v1/chat/completions`, { model: 'nope', messages: [] });
    expect(missing.status).toBe(404);
    expect(missing.json()).toMatchObject({ error: { code: 'model_not_found' } });
  });
});
