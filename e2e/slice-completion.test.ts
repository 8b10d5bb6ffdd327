// Completion without per-chunk round trips: the sidecar learns that a request
// ended from the end of its ext_proc stream (Envoy keeps it open for the whole
// HTTP exchange), not from messages per streamed chunk. In-flight accounting
// holds while a stream runs, drops after it ends or the client aborts, and the
// SSE chunks reach the client as they are produced.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startGateway, type Gateway } from './harness.ts';
import { chatDeltas, extProcStats, post, readSse, sleep } from './helpers-slice.ts';

let gw: Gateway;
const MESSAGES = [{ role: 'user', content: 'Tell me a story.' }];

beforeAll(async () => {
  gw = await startGateway({
    sims: {
      // 40 tokens at 10 tok/s ≈ 4 s per stream; one slot, so a leaked slot blocks the next request.
      a: { kind: 'openai', models: [{ id: 'm1', loaded: true }], tokensPerSec: 10, defaultMaxTokens: 40, ttftMs: 50, slots: 1 },
    },
    policy: { backends: [{ name: 'a', kind: 'openai', url: 'sim:a', models: ['m1'], slots: 4 }] },
    probe: false,
  });
}, 60_000);

afterAll(async () => {
  await gw?.stop();
});

const inFlight = (): number => gw.sidecar!.store.totalInFlight();
const running = (): number => gw.sidecar!.control.running();
const settled = (what: string): Promise<void> => eventually(() => inFlight() === 0 && running() === 0, 5000, what);

describe('completion from the ext_proc stream end', () => {
  it('starts idle', () => {
    expect(inFlight()).toBe(0);
    expect(running()).toBe(0);
  });

  it('in-flight is 1 mid-stream, chunks arrive spread over time, and it drops to 0 after the stream ends', async () => {
    const t0 = Date.now();
    const res = await post(gw.url + '/v1/chat/completions', { model: 'm1', messages: MESSAGES, stream: true });
    expect(res.status).toBe(200);
    const mid: Array<{ inFlight: number; running: number; simActive: number }> = [];
    const { events, reads } = await readSse(res, t0, (_e, all) => {
      // Sample the accounting at content chunk 15 and 25 (well inside the stream).
      const n = chatDeltas(all).length;
      if ((n === 15 || n === 25) && mid.length < 2 && all.at(-1)!.data !== '[DONE]') {
        mid.push({ inFlight: inFlight(), running: running(), simActive: gw.sims.a!.stats().active });
      }
    });
    const ended = Date.now();
    expect(chatDeltas(events)).toHaveLength(40);
    expect(events.at(-1)!.data).toBe('[DONE]');
    expect(mid).toEqual([
      { inFlight: 1, running: 1, simActive: 1 },
      { inFlight: 1, running: 1, simActive: 1 },
    ]);

    // Spread over time: the first content chunk comes long before the last one, in many separate reads.
    const content = events.filter((e) => e.data !== '[DONE]' && chatDeltas([e]).length === 1);
    const first = content[0]!.at;
    const last = content.at(-1)!.at;
    expect(last - first, `first chunk at ${first} ms, last at ${last} ms`).toBeGreaterThan(2500);
    expect(first, 'first chunk must not wait for the end of the generation').toBeLessThan(last / 2);
    expect(reads.length, 'the body arrived in many reads, not one buffered blob').toBeGreaterThanOrEqual(20);
    // Roughly a tenth of the chunks arrive in each tenth of the stream (no bunching at the end).
    const byHalf = content.filter((e) => e.at < first + (last - first) / 2).length;
    expect(byHalf).toBeGreaterThanOrEqual(12);

    await settled('in-flight 0 after the stream ended');
    expect(Date.now() - ended).toBeLessThan(5000);
    expect(gw.sims.a!.stats().active).toBe(0);
  });

  it('Envoy exchanges the same number of ext_proc messages for a 40-chunk stream as for a 2-chunk one', async () => {
    const delta = async (maxTokens: number): Promise<{ sent: number; received: number }> => {
      const before = await extProcStats(gw);
      const res = await post(gw.url + '/v1/chat/completions', { model: 'm1', messages: MESSAGES, stream: true, max_tokens: maxTokens });
      const { events } = await readSse(res);
      expect(chatDeltas(events)).toHaveLength(maxTokens);
      await settled('stream closed');
      await sleep(100);
      const after = await extProcStats(gw);
      return { sent: after.stream_msgs_sent! - before.stream_msgs_sent!, received: after.stream_msgs_received! - before.stream_msgs_received! };
    };
    const short = await delta(2);
    const long = await delta(40);
    expect(long).toEqual(short);
    // Request headers, body and response headers out, an answer to each back: nothing per chunk.
    expect(long.received).toBe(3);
    expect(long.sent).toBeLessThan(10);
  });

  it('a client abort mid-stream drops in-flight to 0 and frees the backend slot', async () => {
    const ac = new AbortController();
    const res = await post(gw.url + '/v1/chat/completions', { model: 'm1', messages: MESSAGES, stream: true }, {}, { signal: ac.signal });
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    const dec = new TextDecoder();
    let text = '';
    while ((text.match(/"content":"[^"]+"/g) ?? []).length < 5) {
      const { done, value } = await reader.read();
      if (done) throw new Error('stream ended before the abort');
      text += dec.decode(value, { stream: true });
    }
    expect(inFlight()).toBe(1);
    expect(running()).toBe(1);
    expect(gw.sims.a!.stats().active).toBe(1);
    const abortedAt = Date.now();
    ac.abort();
    await reader.read().catch(() => undefined);

    await settled('in-flight 0 after the client aborted');
    // Well before the ~3.5 s the rest of the generation would have taken.
    expect(Date.now() - abortedAt).toBeLessThan(3000);
    await eventually(() => gw.sims.a!.stats().active === 0, 5000, 'sim slot freed');

    // The sim has a single slot: a new request only starts at once if the aborted one let go of it.
    const t0 = Date.now();
    const res2 = await post(gw.url + '/v1/chat/completions', { model: 'm1', messages: MESSAGES, stream: true, max_tokens: 2 });
    const { events } = await readSse(res2, t0);
    expect(chatDeltas(events)).toHaveLength(2);
    expect(events[0]!.at).toBeLessThan(1500);
    await settled('in-flight 0 after the follow-up request');
  });

  it('a non-streamed request holds in-flight until its answer is sent', async () => {
    const p = post(gw.url + '/v1/chat/completions', { model: 'm1', messages: MESSAGES, max_tokens: 20 });
    await eventually(() => inFlight() === 1, 3000, 'request admitted');
    await sleep(1000); // the answer takes ~2 s
    expect(inFlight()).toBe(1);
    expect(running()).toBe(1);
    const res = await p;
    expect(res.status).toBe(200);
    const j = (await res.json()) as { usage: { completion_tokens: number } };
    expect(j.usage.completion_tokens).toBe(20);
    await settled('in-flight 0 after the non-streamed answer');
  });

  it('concurrent streams are each counted once and all released', async () => {
    const ps = Array.from({ length: 3 }, () =>
      post(gw.url + '/v1/chat/completions', { model: 'm1', messages: MESSAGES, stream: true, max_tokens: 5 }).then((r) => readSse(r)),
    );
    await eventually(() => inFlight() === 3, 3000, 'three in flight');
    const results = await Promise.all(ps);
    for (const r of results) expect(chatDeltas(r.events)).toHaveLength(5);
    await settled('in-flight 0 after concurrent streams');
  });
});
