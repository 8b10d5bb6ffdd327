// The scheduler through real Envoy with a simulated fleet: an agentic burst
// (orchestrator + explorers + coder on three models) over two backends that
// hold one model each, under warm-first and a baseline on fresh fleets, with
// invariants only (everything served, nothing leaked, nobody starved); plus
// queue-full backpressure. Which strategy is faster or loads less is a
// benchmark's question (bench/agentic.ts), never a test's: this machine is shared.
import { afterAll, describe, expect, it } from 'vitest';
import { eventually, startGateway, type Gateway } from './harness.ts';
import type { Strategy } from '../sidecar/policy/schema.ts';
import { agenticBurst, burstPolicy, sendBurst, swapBox } from './agentic-burst.ts';

interface RunResult {
  strategy: Strategy;
  statuses: number[];
  waitsMs: number[];
  inFlightAfter: number;
  queuedAfter: number;
  releaseUnderflows: number;
}

const AGING_MS = 10_000;

async function replay(strategy: Strategy, trace: string[]): Promise<RunResult> {
  const gw = await startGateway({ sims: { a: swapBox(), b: swapBox() }, policy: burstPolicy(strategy, AGING_MS) });
  gateways.push(gw);
  const results = await sendBurst(gw.url, trace);
  const sidecar = gw.sidecar!;
  await eventually(() => sidecar.store.totalInFlight() === 0, 10_000, 'in-flight to return to 0');
  const run: RunResult = {
    strategy,
    statuses: results.map((r) => r.status),
    waitsMs: results.map((r) => r.queuedMs).filter(Number.isFinite),
    inFlightAfter: sidecar.store.totalInFlight(),
    queuedAfter: sidecar.control.queued(),
    releaseUnderflows: sidecar.store.releaseUnderflows,
  };
  await gw.stop();
  return run;
}

const gateways: Gateway[] = [];
afterAll(async () => {
  for (const g of gateways) await g.stop().catch(() => {});
});

describe('agentic burst on three models over two one-model backends', () => {
  const trace = agenticBurst(3);

  it.each(['warm-first', 'least-connections'] as const)(
    '%s serves every request, leaks nothing, and (warm-first) dispatches each within the aging bound',
    async (strategy) => {
      const run = await replay(strategy, trace);
      expect(run.statuses, 'every request served').toEqual(trace.map(() => 200));
      expect([run.inFlightAfter, run.queuedAfter, run.releaseUnderflows], 'nothing leaked').toEqual([0, 0, 0]);
      if (strategy === 'warm-first') {
        expect(run.waitsMs).toHaveLength(trace.length);
        // The starvation bound is a contract: a starving request goes first. Its dispatch can trail the bound by
        // the moment the edge's timer fires, never by another request's turn.
        for (const w of run.waitsMs) expect(w, 'nobody starved').toBeLessThan(AGING_MS + 5_000);
      }
    },
    180_000,
  );
});

describe('backpressure', () => {
  it('a full queue answers 429 with Retry-After and an OpenAI-style body; the rest are served', async () => {
    const gw = await startGateway({
      sims: { a: { kind: 'openai', models: [{ id: 'slow' }], slots: 1, ttftMs: 800, defaultMaxTokens: 2 } },
      policy: {
        backends: [{ name: 'a', url: 'sim:a', models: ['slow'], slots: 1 }],
        scheduler: { queue: { max_length: 2 } },
      },
      probe: false,
    });
    gateways.push(gw);
    const send = () =>
      fetch(`${gw.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'slow', messages: [{ role: 'user', content: 'x' }] }),
      });
    const responses = await Promise.all(Array.from({ length: 6 }, (_, i) => new Promise((r) => setTimeout(r, i * 30)).then(send)));
    const statuses = responses.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 200)).toHaveLength(3); // 1 running + 2 queued
    const rejected = responses.filter((r) => r.status === 429);
    expect(rejected).toHaveLength(3);
    for (const r of rejected) {
      expect(Number(r.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(r.headers.get('content-type')).toContain('application/json');
      expect(await r.json()).toMatchObject({ error: { code: 'queue_full', type: 'rate_limit_error' } });
    }
    for (const r of responses) if (r.status === 200) await r.text();
    expect(gw.sidecar!.control.queued()).toBe(0);
    // The slot is released when Envoy ends the ext_proc stream, a moment after the client has its answer.
    await eventually(() => gw.sidecar!.store.totalInFlight() === 0, 10_000, 'in-flight to return to 0');
  }, 30_000);
});

describe('a client that leaves while queued', () => {
  it('leaves the queue at once and never reaches a backend', async () => {
    const gw = await startGateway({
      sims: { a: { kind: 'openai', models: [{ id: 'slow' }], slots: 1, ttftMs: 1500, defaultMaxTokens: 2 } },
      policy: { backends: [{ name: 'a', url: 'sim:a', models: ['slow'], slots: 1 }] },
      probe: false,
    });
    gateways.push(gw);
    const body = JSON.stringify({ model: 'slow', messages: [{ role: 'user', content: 'x' }] });
    const first = fetch(`${gw.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    await eventually(() => gw.sidecar!.control.running() === 1, 2000, 'the first request to run');
    const abort = new AbortController();
    const second = fetch(`${gw.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body, signal: abort.signal }).catch((e: unknown) => e);
    await eventually(() => gw.sidecar!.control.queued() === 1, 2000, 'the second request to queue');
    abort.abort();
    await eventually(() => gw.sidecar!.control.queued() === 0, 2000, 'the queue to empty');
    expect(gw.sidecar!.scheduler.queueLength()).toBe(0);
    expect(await second).toBeInstanceOf(Error);
    expect((await first).status).toBe(200);
    await eventually(() => gw.sidecar!.store.totalInFlight() === 0, 3000, 'in-flight to return to 0');
    expect(gw.sims.a!.stats().requests).toBe(1);
    expect(gw.sidecar!.store.releaseUnderflows).toBe(0);
  }, 20_000);
});
