// Probes racing the sidecar's own dispatches, through a real Envoy: two
// simulated llama-swap boxes (one model at a time) probed every 50 ms. A burst
// for a cold model makes a box drain and stop its current model before the new
// one starts, and all that while /running does not list the new model: every
// probe in that window says "cold" about a load the sidecar has just started.
// Invariants per burst: every request served; per backend at most one load
// started by the sidecar and at most one load on the server; the dashboard's
// event ring never shows that model loading → cold (→ loading again).
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startGateway, type Gateway } from './harness.ts';
import type { SimSpec } from '../sim/index.ts';
import { StatusDocument } from '../sidecar/admin/status-schema.ts';

const PROBE_MS = 50;
const BURST = 6;
const BACKENDS = ['a', 'b'] as const;

const box = (): SimSpec => ({
  kind: 'llama-swap',
  models: [
    { id: 'x', sizeGB: 1 },
    { id: 'y', sizeGB: 1, loaded: true },
  ],
  maxLoaded: 1,
  slots: 2,
  ttftMs: 20,
  tokensPerSec: 40,
  loadInitMs: 1000, // stopping the old model takes a fifth of this: ~200 ms in which /running lists neither
  loadGBps: 4,
});

let gw: Gateway;
let client: OpenAI;

beforeAll(async () => {
  gw = await startGateway({
    sims: { a: box(), b: box() },
    policy: {
      backends: BACKENDS.map((name) => ({ name, kind: 'llama-swap' as const, url: `sim:${name}`, models: ['x', 'y'], max_models: 1, probe: { interval_ms: PROBE_MS } })),
    },
  });
  client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: 'unused', maxRetries: 0, timeout: 60_000 });
  const stateOn = (backend: string, model: string) => gw.sidecar!.store.views().find((v) => v.name === backend)?.models.get(model)?.state;
  await eventually(() => BACKENDS.every((b) => stateOn(b, 'y') === 'warm'), 10_000, 'first probes to see y warm');
}, 60_000);
afterAll(() => gw?.stop());

/** Each backend's states of `model` as the dashboard's event ring tells them, in order. */
async function ringStates(model: string, afterSeq: number): Promise<Map<string, string[]>> {
  const res = await fetch(`http://127.0.0.1:${gw.sidecar!.adminPort}/status`);
  const status = StatusDocument.parse(await res.json());
  const out = new Map<string, string[]>();
  for (const e of status.events) {
    // `to` is the state a model event ends in (the status schema passes it through untyped).
    const to: unknown = e['to'];
    if (e.seq <= afterSeq || e.model !== model || typeof to !== 'string') continue;
    const seq = out.get(e.backend) ?? [];
    seq.push(to);
    out.set(e.backend, seq);
  }
  return out;
}

async function lastSeq(): Promise<number> {
  const status = StatusDocument.parse(await (await fetch(`http://127.0.0.1:${gw.sidecar!.adminPort}/status`)).json());
  return status.events.at(-1)?.seq ?? 0;
}

/** Sends a burst for `model`, checks the invariants, and returns how many loads of it the sidecar started. */
async function burst(model: string): Promise<number> {
  const seq = await lastSeq();
  const decisionsBefore = gw.sidecar!.scheduler.recentDecisions().length;
  const loadsBefore = Object.fromEntries(BACKENDS.map((b) => [b, gw.sims[b]!.stats().loads]));
  const answers = await Promise.all(
    Array.from({ length: BURST }, (_, i) => client.chat.completions.create({ model, max_tokens: 4, messages: [{ role: 'user', content: `${model} ${i}` }] })),
  );
  expect(answers.map((a) => a.choices.length)).toEqual(Array(BURST).fill(1));
  await eventually(() => gw.sidecar!.control.running() === 0 && gw.sidecar!.store.totalInFlight() === 0, 10_000, 'in-flight accounting back to 0');

  const decisions = gw.sidecar!.scheduler.recentDecisions().slice(decisionsBefore);
  expect(decisions.filter((d) => d.model === model)).toHaveLength(BURST);
  for (const b of BACKENDS) {
    const started = decisions.filter((d) => d.backend === b && d.model === model && d.reason === 'cold-load').length;
    expect(started, `loads of ${model} the sidecar started on ${b}`).toBeLessThanOrEqual(1);
    expect(gw.sims[b]!.stats().loads - loadsBefore[b]!, `loads on server ${b}`).toBeLessThanOrEqual(1);
  }
  const states = await ringStates(model, seq);
  for (const [backend, seen] of states) {
    const regressed = seen.some((s, i) => s === 'cold' && seen[i - 1] === 'loading');
    expect(regressed, `${model} on ${backend}: ${seen.join(' → ')}`).toBe(false);
  }
  return decisions.filter((d) => d.model === model && d.reason === 'cold-load').length;
}

describe('probes racing dispatches (llama-swap, probe every 50 ms)', () => {
  it('a burst for a model cold everywhere: one load per backend, never loading → cold in the event ring', async () => {
    expect(await burst('x')).toBeGreaterThan(0);
  }, 60_000);
  // Later bursts may find their model still warm on one box; where they load, the same holds.
  it('a burst for the other model (a swap wherever it loads): the same', () => burst('y'), 60_000);
  it('and once more the other way', () => burst('x'), 60_000);
});
