import { afterEach, describe, expect, it } from 'vitest';
import { startSim, type RunningSim, type SimSpec } from '../index.ts';
import { getJson, postJson, until } from '../testing/http.ts';

const running: RunningSim[] = [];
async function sim(spec: Partial<SimSpec> = {}): Promise<RunningSim> {
  const s = await startSim({ kind: 'vllm', models: [{ id: 'Qwen/Qwen2.5-7B-Instruct' }], timeScale: 0.01, ...spec });
  running.push(s);
  return s;
}
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.close()));
});

function gauge(text: string, name: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`vllm:${name}{`));
  return Number(line?.split(' ').at(-1));
}

describe('vllm sim', () => {
  it('/health is an empty 200; /v1/models has the vLLM model card', async () => {
    const s = await sim();
    const health = await fetch(`${s.url}/health`);
    expect(health.status).toBe(200);
    expect(await health.text()).toBe('');
    const models = (await getJson(`${s.url}/v1/models`)).json as { data: Array<Record<string, unknown>> };
    expect(models.data).toHaveLength(1);
    expect(models.data[0]).toMatchObject({ id: 'Qwen/Qwen2.5-7B-Instruct', object: 'model', owned_by: 'vllm', root: 'Qwen/Qwen2.5-7B-Instruct', parent: null, max_model_len: expect.any(Number) });
  });

  it('/metrics shows running and waiting requests with vLLM labels', async () => {
    const s = await sim({ slots: 2, timeScale: 1, ttftMs: 5, tokensPerSec: 100 });
    const reqs = [1, 2, 3].map(() => postJson(`${s.url}/v1/chat/completions`, { messages: [{ role: 'user', content: 'x' }], max_tokens: 30 }));
    await until(() => s.stats().active === 2 && s.stats().queued === 1);
    const text = await (await fetch(`${s.url}/metrics`)).text();
    expect(text).toContain('vllm:num_requests_running{engine="0",model_name="Qwen/Qwen2.5-7B-Instruct"} 2.0');
    expect(gauge(text, 'num_requests_waiting')).toBe(1);
    await Promise.all(reqs);
    expect(gauge(await (await fetch(`${s.url}/metrics`)).text(), 'num_requests_running')).toBe(0);
  });

  it('sleep frees the model; requests wait for /wake_up instead of loading', async () => {
    const s = await sim({ timeScale: 0.05 });
    expect((await getJson(`${s.url}/is_sleeping`)).json).toEqual({ is_sleeping: false });
    expect((await postJson(`${s.url}/sleep?level=1`, {})).status).toBe(200);
    expect((await getJson(`${s.url}/is_sleeping`)).json).toEqual({ is_sleeping: true });
    expect(s.stats().loaded).toEqual([]);
    let answered = false;
    const pending = postJson(`${s.url}/v1/chat/completions`, { messages: [{ role: 'user', content: 'x' }], max_tokens: 1 }).then((r) => ((answered = true), r));
    await new Promise((r) => setTimeout(r, 150));
    expect(answered).toBe(false);
    expect(s.stats()).toMatchObject({ loading: [], queued: 1 });
    expect((await postJson(`${s.url}/wake_up`, {})).status).toBe(200);
    expect((await getJson(`${s.url}/is_sleeping`)).json).toEqual({ is_sleeping: false });
    expect((await pending).status).toBe(200);
  });

  it('loaded:false starts asleep; a wrong model name is a 404', async () => {
    const s = await sim({ models: [{ id: 'm', loaded: false }] });
    expect((await getJson(`${s.url}/is_sleeping`)).json).toEqual({ is_sleeping: true });
    const text = await (await fetch(`${s.url}/metrics`)).text();
    expect(text).toContain('sleep_state="awake"} 0.0');
    const wrong = await postJson(`${s.url}/v1/completions`, { model: 'other', prompt: 'x' });
    expect(wrong.status).toBe(404);
    expect(wrong.json()).toMatchObject({ error: { type: 'NotFoundError' } });
  });
});
