// Long waits and long streams pass through Envoy untouched: a backend that
// needs 20 s before its first byte (past Envoy's default 15 s route timeout;
// the ext_proc message timeout runs only while Envoy awaits the sidecar) and a
// stream that runs ~30 s.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startGateway, type Gateway } from './harness.ts';
import { chatDeltas, extProcStats, post, readSse, sleep } from './helpers-slice.ts';

let gw: Gateway;
const MESSAGES = [{ role: 'user', content: 'Take your time.' }];

beforeAll(async () => {
  gw = await startGateway({
    sims: {
      slow: { kind: 'openai', models: [{ id: 'slow-first', loaded: true }], ttftMs: 20_000, tokensPerSec: 50, defaultMaxTokens: 5 },
      long: { kind: 'openai', models: [{ id: 'long-stream', loaded: true }], ttftMs: 50, tokensPerSec: 2, defaultMaxTokens: 60 },
    },
    policy: {
      backends: [
        { name: 'slow', kind: 'openai', url: 'sim:slow', models: ['slow-first'] },
        { name: 'long', kind: 'openai', url: 'sim:long', models: ['long-stream'] },
      ],
    },
    probe: false,
  });
}, 60_000);

afterAll(async () => {
  await gw?.stop();
});

describe('no timeout cuts a long request', () => {
  it('a backend that takes 20 s before its first byte succeeds (streamed)', async () => {
    const t0 = Date.now();
    const p = post(gw.url + '/v1/chat/completions', { model: 'slow-first', messages: MESSAGES, stream: true });
    // Past the default route timeout (15 s) the request is still alive and counted.
    await sleep(16_000);
    expect(gw.sidecar!.store.totalInFlight()).toBe(1);
    expect(gw.sims.slow!.stats().active).toBe(1);
    const res = await p;
    expect(res.status).toBe(200);
    const { events } = await readSse(res, t0);
    expect(chatDeltas(events)).toHaveLength(5);
    expect(events.at(-1)!.data).toBe('[DONE]');
    expect(events[0]!.at).toBeGreaterThanOrEqual(19_000);
    await eventually(() => gw.sidecar!.store.totalInFlight() === 0, 5000, 'released');
  }, 60_000);

  it('a backend that takes 20 s before its first byte succeeds (non-streamed)', async () => {
    const t0 = Date.now();
    const res = await post(gw.url + '/v1/chat/completions', { model: 'slow-first', messages: MESSAGES });
    const text = await res.text();
    expect(res.status, text).toBe(200);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(19_000);
    const j = JSON.parse(text) as { choices: Array<{ message: { content: string } }> };
    expect(j.choices[0]!.message.content.length).toBeGreaterThan(0);
    await eventually(() => gw.sidecar!.store.totalInFlight() === 0, 5000, 'released');
  }, 60_000);

  it('a stream lasting ~30 s (60 tokens at 2 tok/s) succeeds and stays counted throughout', async () => {
    const t0 = Date.now();
    const res = await post(gw.url + '/v1/chat/completions', { model: 'long-stream', messages: MESSAGES, stream: true });
    expect(res.status).toBe(200);
    const samples: number[] = [];
    const { events } = await readSse(res, t0, (_e, all) => {
      const n = chatDeltas(all).length;
      if (n > 0 && n % 15 === 0 && samples.length < n / 15) samples.push(gw.sidecar!.store.totalInFlight());
    });
    const deltas = chatDeltas(events);
    expect(deltas).toHaveLength(60);
    expect(events.at(-1)!.data).toBe('[DONE]');
    const contentTimes = events.filter((e) => chatDeltas([e]).length === 1).map((e) => e.at);
    expect(contentTimes.at(-1)! - contentTimes[0]!).toBeGreaterThanOrEqual(25_000);
    expect(samples).toEqual([1, 1, 1, 1]);
    await eventually(() => gw.sidecar!.store.totalInFlight() === 0 && gw.sidecar!.control.running() === 0, 5000, 'released');
  }, 60_000);

  it('Envoy saw no ext_proc message timeout or stream failure', async () => {
    const s = await extProcStats(gw);
    expect(s.message_timeouts).toBe(0);
    expect(s.streams_failed).toBe(0);
  });
});
