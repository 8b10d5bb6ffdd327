import { afterEach, describe, expect, it } from 'vitest';
import { startSim, type RunningSim, type SimSpec } from '../index.ts';
import { getJson, postJson, until } from '../testing/http.ts';

const running: RunningSim[] = [];
async function sim(spec: Partial<SimSpec> = {}): Promise<RunningSim> {
  const s = await startSim({ kind: 'mlx-lm', models: [{ id: 'mlx-community/Qwen2.5-7B-4bit' }, { id: 'mlx-community/Llama-3.2-3B-4bit' }], timeScale: 0.01, ...spec });
  running.push(s);
  return s;
}
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.close()));
});

describe('mlx-lm sim', () => {
  it('lists available models without owned_by or a loaded flag; /health ok', async () => {
    const s = await sim();
    const models = (await getJson(`${s.url}/v1/models`)).json as { object: string; data: Array<Record<string, unknown>> };
    expect(models.object).toBe('list');
    expect(models.data.map((m) => Object.keys(m).sort())).toEqual([
      ['created', 'id', 'object'],
      ['created', 'id', 'object'],
    ]);
    expect((await getJson(`${s.url}/health`)).json).toEqual({ status: 'ok' });
  });

  it('loads whichever model a request names, one at a time', async () => {
    const s = await sim({ timeScale: 0.02 });
    const p = postJson(`${s.url}/v1/chat/completions`, { model: 'mlx-community/Llama-3.2-3B-4bit', messages: [{ role: 'user', content: 'x' }], max_tokens: 2 });
    await until(() => s.stats().loading.length === 1);
    expect((await p).json()).toMatchObject({ model: 'mlx-community/Llama-3.2-3B-4bit' });
    // No model named: the --model default (first model) is used.
    const d = await postJson(`${s.url}/chat/completions`, { messages: [{ role: 'user', content: 'x' }], max_tokens: 1 });
    expect(d.json()).toMatchObject({ model: 'mlx-community/Qwen2.5-7B-4bit' });
    expect(s.stats()).toMatchObject({ loaded: ['mlx-community/Qwen2.5-7B-4bit'], loads: 2, evictions: 1 });
  });

  it('has no embeddings, status or metrics endpoints', async () => {
    const s = await sim();
    expect((await postJson(`${s.url}/v1/embeddings`, { input: 'x' })).status).toBe(404);
    expect((await getJson(`${s.url}/metrics`)).status).toBe(404);
  });
});
