import { afterEach, describe, expect, it } from 'vitest';
import { startSim, type RunningSim, type SimSpec } from '../index.ts';
import { readFixture, readFixtureJson } from '../testing/fixtures.ts';
import { parseSse, sseJson } from '../testing/sse.ts';
import { shapeDiff } from '../testing/shape.ts';
import { getJson, postJson, until } from '../testing/http.ts';

const FX = 'llama-swap';
const running: RunningSim[] = [];
async function sim(spec: Partial<SimSpec> = {}): Promise<RunningSim> {
  const s = await startSim({ kind: 'llama-swap', models: [{ id: 'tiny-c' }, { id: 'tiny-d' }], timeScale: 0.01, ...spec });
  running.push(s);
  return s;
}
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.close()));
});

type Running = { running: Array<{ model: string; state: string }> };
const runningStates = async (s: RunningSim): Promise<string[]> =>
  ((await getJson(`${s.url}/running`)).json as Running).running.map((r) => `${r.model}:${r.state}`);

describe('llama-swap sim', () => {
  it('/health is a plain OK; /running and /v1/models agree with the recordings', async () => {
    const s = await sim();
    const health = await fetch(`${s.url}/health`);
    expect(health.status).toBe(200);
    expect(health.headers.get('content-type')).toBe(readFixture(FX, 'GET_health.http').headers['content-type']);
    expect(await health.text()).toBe('OK');
    expect((await getJson(`${s.url}/running`)).json).toEqual(readFixtureJson(FX, 'GET_running_empty.http').json);
    const none = await getJson(`${s.url}/v1/models`);
    expect(none.headers.get('content-type')).toBe('application/json');
    expect(shapeDiff(readFixtureJson(FX, 'GET_v1_models_none_loaded.http').json, none.json)).toEqual([]);
    expect((none.json as { data: Array<{ status: unknown }> }).data.map((d) => d.status)).toEqual([{ value: 'unloaded' }, { value: 'unloaded' }]);

    const res = await postJson(`${s.url}/v1/chat/completions`, { model: 'tiny-c', messages: [{ role: 'user', content: 'x' }], max_tokens: 4 });
    expect(shapeDiff(readFixtureJson(FX, 'POST_v1_chat_completions_c.http').json, res.json())).toEqual([]);
    const run = await getJson(`${s.url}/running`);
    expect(shapeDiff(readFixtureJson(FX, 'GET_running_c.http').json, run.json)).toEqual([]);
    expect(await runningStates(s)).toEqual(['tiny-c:ready']);
    type Listed = { data: Array<{ id: string; created: number; status: unknown; meta: unknown }> };
    const summary = (v: unknown): unknown[] => (v as Listed).data.map(({ id, status, meta }) => ({ id, status, meta }));
    const loaded = await getJson(`${s.url}/v1/models`);
    expect(summary(loaded.json)).toEqual(summary(readFixtureJson(FX, 'GET_v1_models_c_loaded.http').json));
  });

  it('a request for the other model swaps: stopping, starting, ready; its stream matches the recording', async () => {
    // stop = 3000 / 5 * 0.1 = 60 ms, start = (3000 + 4 / 2 * 1000) * 0.1 = 500 ms: long enough to be seen by polling.
    const s = await sim({ timeScale: 0.1, loadInitMs: 3000, models: [{ id: 'tiny-c', loaded: true }, { id: 'tiny-d' }] });
    const pending = postJson(`${s.url}/v1/chat/completions`, { model: 'tiny-d', messages: [{ role: 'user', content: 'x' }], max_tokens: 2, stream: true });
    const seen = new Set<string>();
    while (!seen.has('tiny-d:ready')) {
      for (const r of await runningStates(s)) seen.add(r);
      await new Promise((r) => setTimeout(r, 2));
    }
    expect(seen).toContain('tiny-c:stopping');
    expect(seen).toContain('tiny-d:starting');
    const res = await pending;
    const ours = parseSse(res.text);
    const theirs = parseSse(readFixture(FX, 'POST_v1_chat_completions_d_stream_swaps.http').body);
    expect(ours.at(-1)?.data).toBe('[DONE]');
    const a = sseJson(ours);
    const b = sseJson(theirs);
    expect(shapeDiff(b[0], a[0])).toEqual([]);
    expect(shapeDiff(b.at(-1), a.at(-1))).toEqual([]);
    expect(await runningStates(s)).toEqual(['tiny-d:ready']);
    expect(s.stats()).toMatchObject({ loads: 1, evictions: 1, loaded: ['tiny-d'] });
  });

  it('requests for the running model queue behind a pending swap and wait for the swap back', async () => {
    const s = await sim({ timeScale: 1, ttftMs: 5, tokensPerSec: 100, loadInitMs: 60, loadGBps: 1000, models: [{ id: 'tiny-c', loaded: true }, { id: 'tiny-d' }] });
    const order: string[] = [];
    const send = (model: string, tokens: number): Promise<unknown> =>
      postJson(`${s.url}/v1/chat/completions`, { model, messages: [], max_tokens: tokens }).then(() => order.push(model));
    const c1 = send('tiny-c', 40); // running on tiny-c
    await until(() => s.stats().active === 1);
    const d = send('tiny-d', 1); // must wait for c1 to finish, then swap
    await until(() => s.stats().queued === 1);
    const c2 = send('tiny-c', 1); // arrives after the swap was requested: swaps back afterwards
    await Promise.all([c1, d, c2]);
    expect(order).toEqual(['tiny-c', 'tiny-d', 'tiny-c']);
    expect(s.stats()).toMatchObject({ loads: 2, evictions: 2 });
  });

  it('errors carry "src":"llama-swap" as recorded', async () => {
    const s = await sim();
    const noType = await fetch(`${s.url}/v1/chat/completions`, { method: 'POST', body: JSON.stringify({ model: 'tiny-c', messages: [] }) });
    const rec = readFixtureJson(FX, 'POST_v1_chat_completions_no_content_type.http');
    expect(noType.status).toBe(rec.status);
    expect(await noType.json()).toEqual(rec.json);
    const unknown = await postJson(`${s.url}/v1/chat/completions`, { model: 'nope', messages: [] });
    const rec2 = readFixtureJson(FX, 'POST_v1_chat_completions_unknown_model.http');
    expect(unknown.status).toBe(rec2.status);
    expect(unknown.json()).toEqual(rec2.json);
    expect(s.stats().requests).toBe(0);
  });

  it('maxLoaded 2 keeps two models running', async () => {
    const s = await sim({ maxLoaded: 2 });
    await postJson(`${s.url}/v1/chat/completions`, { model: 'tiny-c', messages: [], max_tokens: 1 });
    await postJson(`${s.url}/v1/chat/completions`, { model: 'tiny-d', messages: [], max_tokens: 1 });
    expect(await runningStates(s)).toEqual(['tiny-c:ready', 'tiny-d:ready']);
    expect(s.stats().evictions).toBe(0);
  });
  it('/upstream/{model}/health loads (swaps in) the model and answers once it is ready; unknown models get 404', async () => {
    const s = await sim();
    const first = await fetch(`${s.url}/upstream/tiny-c/health`);
    expect(first.status).toBe(200);
    expect(await runningStates(s)).toEqual(['tiny-c:ready']);
    expect((await fetch(`${s.url}/upstream/tiny-d/health`)).status).toBe(200);
    expect(await runningStates(s)).toEqual(['tiny-d:ready']);
    expect(s.stats()).toMatchObject({ loads: 2 });
    expect((await fetch(`${s.url}/upstream/nope/health`)).status).toBe(404);
  });
});
