// 10,000 streaming requests through a real Envoy, more at once than the
// backends have slots (so many wait in the sidecar's queue), and one in five
// clients leaves at a random point: while queued, once the response headers
// arrive, or mid-stream. Afterwards nothing is left behind: the queue and
// in-flight counts are 0 and every simulated server's slots are free; every
// client that stayed got its whole stream.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startGateway, type Gateway } from '../harness.ts';
import { seededRandom } from '../../sidecar/util/seeded-random.ts';
import type { SimSpec } from '../../sim/index.ts';

const TOTAL = Number(process.env.ABORTS_TEST_REQUESTS ?? 10_000);
const CONCURRENCY = 48;
const SLOTS = 6;
const TOKENS = 4;

type Kind = 'stays' | 'queued' | 'headers' | 'mid-stream';
interface Result {
  kind: Kind;
  status: number;
  complete: boolean;
  error?: string;
  /** The start of the answer, for a failure message. */
  head?: string;
}

let gw: Gateway;
const fast = (): SimSpec => ({ kind: 'openai', slots: SLOTS, ttftMs: 3, tokensPerSec: 1000, models: [{ id: 'm1', loaded: true }] });

async function one(kind: Kind, random: () => number): Promise<Result> {
  const ac = new AbortController();
  const body = JSON.stringify({ model: 'm1', stream: true, max_tokens: TOKENS, messages: [{ role: 'user', content: 'hi' }] });
  // Leaving "while queued": a few ms after sending, while most requests still wait for a slot.
  const timer = kind === 'queued' ? setTimeout(() => ac.abort(), 1 + random() * 15) : undefined;
  try {
    const res = await fetch(`${gw.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body, signal: ac.signal });
    if (kind === 'headers') {
      ac.abort();
      return { kind, status: res.status, complete: false };
    }
    const reader = res.body!.getReader();
    let text = '';
    const dec = new TextDecoder();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      text += dec.decode(value, { stream: true });
      if (kind === 'mid-stream' && text.includes('"content":"')) {
        ac.abort();
        return { kind, status: res.status, complete: false };
      }
    }
    const complete = res.status === 200 && text.trimEnd().endsWith('data: [DONE]');
    return { kind, status: res.status, complete, ...(complete ? {} : { head: text.slice(0, 300) }) };
  } catch (e) {
    return { kind, status: 0, complete: false, error: (e as Error).name };
  } finally {
    clearTimeout(timer);
  }
}

describe('client aborts at random points', () => {
  beforeAll(async () => {
    gw = await startGateway({
      sims: { a: fast(), b: fast() },
      policy: {
        backends: [
          { name: 'a', url: 'sim:a', models: ['m1'], slots: SLOTS },
          { name: 'b', url: 'sim:b', models: ['m1'], slots: SLOTS },
        ],
        scheduler: { queue: { max_length: 1000, timeout_ms: 60_000 } },
      },
      probe: false,
    });
  });
  afterAll(() => gw?.stop());

  it(`${TOTAL} requests, 20 % aborted while queued, at the headers or mid-stream: nothing is left behind`, { timeout: 300_000 }, async () => {
    const random = seededRandom(20);
    const kinds: Kind[] = Array.from({ length: TOTAL }, () => {
      const r = random();
      return r < 0.8 ? 'stays' : r < 0.8667 ? 'queued' : r < 0.9333 ? 'headers' : 'mid-stream';
    });
    const results: Result[] = [];
    let next = 0;
    let maxQueued = 0;
    const sampler = setInterval(() => (maxQueued = Math.max(maxQueued, gw.sidecar!.control.queued())), 5);
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < TOTAL) results.push(await one(kinds[next++]!, random));
      }),
    );
    clearInterval(sampler);

    // Every client that stayed got its whole stream.
    const stayed = results.filter((r) => r.kind === 'stays');
    expect(stayed.filter((r) => !r.complete), 'clients that stayed and did not get a whole stream').toEqual([]);
    expect(results.length).toBe(TOTAL);
    // The aborts happened as planned (a queued abort may also land after the answer; most do not).
    for (const k of ['queued', 'headers', 'mid-stream'] as const) expect(results.filter((r) => r.kind === k).length).toBeGreaterThan(TOTAL * 0.05);
    expect(results.filter((r) => r.kind === 'queued' && r.error === 'AbortError').length).toBeGreaterThan(0);
    expect(maxQueued, 'requests did wait in the sidecar queue').toBeGreaterThan(0);

    // Nothing left behind, in the sidecar or the servers.
    const sidecar = gw.sidecar!;
    await eventually(
      () => sidecar.control.queued() === 0 && sidecar.control.running() === 0 && sidecar.store.totalInFlight() === 0 && sidecar.scheduler.queueLength() === 0 && sidecar.scheduler.inFlight() === 0,
      15_000,
      'the sidecar queue and in-flight counts to return to 0',
    );
    expect(sidecar.store.releaseUnderflows).toBe(0);
    await eventually(() => Object.values(gw.sims).every((s) => s.stats().active === 0 && s.stats().queued === 0), 15_000, "the sims' slots to be free");

    // And the gateway still serves.
    const after = await one('stays', random);
    expect(after).toMatchObject({ status: 200, complete: true });
  });
});
