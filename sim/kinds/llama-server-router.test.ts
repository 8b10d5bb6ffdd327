import { afterEach, describe, expect, it } from 'vitest';
import { startSim, type RunningSim, type SimSpec } from '../index.ts';
import { readFixtureJson, readRawFixture } from '../testing/fixtures.ts';
import { parseSse } from '../testing/sse.ts';
import { shapeDiff } from '../testing/shape.ts';
import { getJson, postJson, until } from '../testing/http.ts';

const FX = 'llama-server-router';
const running: RunningSim[] = [];
async function sim(spec: Partial<SimSpec> = {}): Promise<RunningSim> {
  const s = await startSim({ kind: 'llama-server-router', models: [{ id: 'tiny-c' }, { id: 'tiny-d' }], maxLoaded: 1, timeScale: 0.01, ...spec });
  running.push(s);
  return s;
}
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.close()));
});

type RouterModels = { data: Array<{ id: string; status: { value: string } }> };
const statuses = async (s: RunningSim): Promise<Record<string, string>> =>
  Object.fromEntries(((await getJson(`${s.url}/models`)).json as RouterModels).data.map((m) => [m.id, m.status.value]));

async function expectRecordedError(res: { status: number; json: () => unknown }, file: string): Promise<void> {
  const rec = readFixtureJson(FX, file);
  expect(res.status).toBe(rec.status);
  expect(res.json()).toEqual(rec.json);
}

describe('llama-server-router sim', () => {
  it('/models lists every model with status, in the recorded shape', async () => {
    const s = await sim();
    const none = await getJson(`${s.url}/models`);
    expect(shapeDiff(readFixtureJson(FX, 'GET_models_none_loaded.http').json, none.json)).toEqual([]);
    expect(await statuses(s)).toEqual({ 'tiny-c': 'unloaded', 'tiny-d': 'unloaded' });
    const props = await getJson(`${s.url}/props`);
    expect(shapeDiff(readFixtureJson(FX, 'GET_props.http').json, props.json)).toEqual([]);
    expect(props.json).toMatchObject({ role: 'router', max_instances: 1 });
  });

  it('/models/load is asynchronous: loading, then loaded (with meta); errors as recorded', async () => {
    const s = await sim({ timeScale: 0.05 });
    const load = await postJson(`${s.url}/models/load`, { model: 'tiny-c' });
    await expectRecordedError(load, 'POST_models_load.http');
    expect((await statuses(s))['tiny-c']).toBe('loading');
    await expectRecordedError(await postJson(`${s.url}/models/load`, { model: 'tiny-c' }), 'POST_models_load_already_running.http');
    await until(() => s.stats().loaded.includes('tiny-c'));
    const loaded = await getJson(`${s.url}/models`);
    expect(shapeDiff(readFixtureJson(FX, 'GET_models_c_loaded.http').json, loaded.json)).toEqual([]);
    await expectRecordedError(await postJson(`${s.url}/models/load`, { model: 'nope' }), 'POST_models_load_unknown.http');
    await expectRecordedError(await postJson(`${s.url}/models/unload`, { model: 'tiny-d' }), 'POST_models_unload_not_running.http');
    await expectRecordedError(await postJson(`${s.url}/models/unload`, { model: 'tiny-c' }), 'POST_models_unload.http');
    expect(await statuses(s)).toEqual({ 'tiny-c': 'unloaded', 'tiny-d': 'unloaded' });
  });

  it('a request for a cold model autoloads it and swaps out the LRU one at --models-max', async () => {
    const s = await sim({ timeScale: 0.05 });
    await postJson(`${s.url}/v1/chat/completions`, { model: 'tiny-c', messages: [{ role: 'user', content: 'x' }], max_tokens: 2 });
    expect(await statuses(s)).toEqual({ 'tiny-c': 'loaded', 'tiny-d': 'unloaded' });
    const t0 = performance.now();
    const res = await postJson(`${s.url}/v1/chat/completions`, { model: 'tiny-d', messages: [{ role: 'user', content: 'x' }], max_tokens: 2 });
    // load = (500 ms + 4 GB / 2 GB/s) * 0.05 = 125 ms
    expect(performance.now() - t0).toBeGreaterThanOrEqual(120);
    const rec = readFixtureJson(FX, 'POST_v1_chat_completions_d_swaps.http');
    expect(res.status).toBe(rec.status);
    expect(shapeDiff(rec.json, res.json())).toEqual([]);
    expect(res.json()).toMatchObject({ model: 'tiny-d' });
    const after = await getJson(`${s.url}/models`);
    expect(shapeDiff(readFixtureJson(FX, 'GET_models_after_swap.http').json, after.json)).toEqual([]);
    expect(await statuses(s)).toEqual({ 'tiny-c': 'unloaded', 'tiny-d': 'loaded' });
    expect(s.stats()).toMatchObject({ loads: 2, evictions: 1 });
  });

  it('missing and unknown models are 400s as recorded', async () => {
    const s = await sim();
    await expectRecordedError(await postJson(`${s.url}/v1/chat/completions`, { messages: [] }), 'POST_v1_chat_completions_missing_model.http');
    await expectRecordedError(
      await postJson(`${s.url}/v1/chat/completions`, { model: 'no-such-model', messages: [] }),
      'POST_v1_chat_completions_unknown_model.http',
    );
  });

  it('/slots?model=X&autoload=false answers 400 for a cold model and never loads it', async () => {
    const s = await sim({ maxLoaded: 2 });
    const res = await fetch(`${s.url}/slots?model=tiny-d&autoload=false`);
    const rec = readFixtureJson(FX, 'GET_slots_model_d_cold_noautoload.http');
    expect(res.status).toBe(rec.status);
    expect(await res.json()).toEqual(rec.json);
    await new Promise((r) => setTimeout(r, 50));
    expect(s.stats()).toMatchObject({ loaded: [], loading: [], loads: 0 });
    // Without autoload=false the probe itself loads the model, as the real router does.
    const slots = await getJson(`${s.url}/slots?model=tiny-c`);
    expect(shapeDiff(readFixtureJson(FX, 'GET_slots_model_c.http').json, slots.json)).toEqual([]);
    expect(slots.json).toHaveLength(4);
    expect(s.stats().loaded).toEqual(['tiny-c']);
  });

  it('slots are per model instance: per-model /metrics show processing and deferred', async () => {
    const s = await sim({ maxLoaded: 2, slots: 1, timeScale: 1, ttftMs: 5, tokensPerSec: 50, loadInitMs: 0, loadGBps: 1000, models: [{ id: 'tiny-c', loaded: true }, { id: 'tiny-d', loaded: true }] });
    const body = (model: string): unknown => ({ model, messages: [], max_tokens: 20 });
    const reqs = [postJson(`${s.url}/v1/chat/completions`, body('tiny-c')), postJson(`${s.url}/v1/chat/completions`, body('tiny-c')), postJson(`${s.url}/v1/chat/completions`, body('tiny-d'))];
    await until(() => s.stats().active === 2 && s.stats().queued === 1);
    const metricsC = await (await fetch(`${s.url}/metrics?model=tiny-c&autoload=false`)).text();
    expect(metricsC).toContain('llamacpp:requests_processing 1');
    expect(metricsC).toContain('llamacpp:requests_deferred 1');
    const metricsD = await (await fetch(`${s.url}/metrics?model=tiny-d&autoload=false`)).text();
    expect(metricsD).toContain('llamacpp:requests_deferred 0');
    await Promise.all(reqs);
  });

  it('/models/sse reports a load and an unload in the recorded event order', async () => {
    const s = await sim();
    const ctrl = new AbortController();
    const res = await fetch(`${s.url}/models/sse`, { signal: ctrl.signal });
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    const reader = res.body!.getReader();
    let text = '';
    const readUntil = async (needle: string): Promise<void> => {
      while (!text.includes(needle)) {
        const { value, done } = await reader.read();
        if (done) break;
        text += new TextDecoder().decode(value);
      }
    };
    await postJson(`${s.url}/models/load`, { model: 'tiny-c' });
    await readUntil('"loaded"');
    await postJson(`${s.url}/models/unload`, { model: 'tiny-c' });
    await readUntil('"unloaded"');
    ctrl.abort();
    const summary = (raw: string): string[] =>
      parseSse(raw).map((e) => {
        const j = JSON.parse(e.data) as { event: string; data: { status: string } };
        return `${j.event}:${j.data.status}`;
      });
    const recorded = summary(readRawFixture(FX, 'GET_models_sse.txt')).slice(0, 5);
    expect(summary(text)).toEqual(recorded);
  });
});
