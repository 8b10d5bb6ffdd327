// Each adapter against the simulated server of its kind, over real HTTP: what the
// simulator holds warm, cold or loading must be what the adapter reports.
import { afterEach, describe, expect, it } from 'vitest';

import { startSim, type RunningSim, type SimKind, type SimSpec } from '../../../sim/index.ts';
import type { BackendKind } from '../../policy/schema.ts';
import type { BackendSnapshot } from '../snapshot.ts';
import { httpProbe } from './http.ts';
import { adapterFor } from './index.ts';
import { specFor } from './test-support.ts';

const running: RunningSim[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.close()));
});

async function sim(spec: SimSpec): Promise<RunningSim> {
  const s = await startSim(spec);
  running.push(s);
  return s;
}

function probe(kind: BackendKind, s: RunningSim): Promise<BackendSnapshot> {
  return adapterFor(kind).probe(httpProbe(s.url, { timeoutMs: 2000 }), specFor(kind, { url: s.url }));
}

const stateOf = (snap: BackendSnapshot, id: string) => snap.models.find((m) => m.id === id)?.state;

/** Send one chat request (not awaited by the caller until it wants the model warm). */
function chat(s: RunningSim, model: string): Promise<number> {
  return fetch(`${s.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }], max_tokens: 2 }),
    signal: AbortSignal.timeout(10_000),
  }).then(async (res) => {
    await res.text();
    return res.status;
  });
}

/** Probe until `done` holds (or give up after `ms`); every snapshot seen, in order. */
async function probeUntil(kind: BackendKind, s: RunningSim, done: (snap: BackendSnapshot) => boolean, ms = 5000): Promise<BackendSnapshot[]> {
  const seen: BackendSnapshot[] = [];
  const end = Date.now() + ms;
  for (;;) {
    const snap = await probe(kind, s);
    seen.push(snap);
    if (done(snap) || Date.now() > end) return seen;
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Multi-model servers: one model warm at start, one cold; a request loads the cold one. */
const MULTI: Array<{ sim: SimKind; adapter: BackendKind; knowsLoaded: boolean; showsLoading: boolean }> = [
  { sim: 'llama-server-router', adapter: 'llama-server', knowsLoaded: true, showsLoading: true },
  { sim: 'llama-swap', adapter: 'llama-swap', knowsLoaded: true, showsLoading: true },
  { sim: 'ollama', adapter: 'ollama', knowsLoaded: true, showsLoading: false },
  { sim: 'omlx', adapter: 'omlx', knowsLoaded: true, showsLoading: true },
  { sim: 'lmstudio', adapter: 'lmstudio', knowsLoaded: true, showsLoading: false },
];

const twoModels = (kind: SimKind): SimSpec => ({
  kind,
  models: [
    { id: 'warm-m', loaded: true, sizeGB: 1 },
    { id: 'cold-m', loaded: false, sizeGB: 1 },
  ],
  maxLoaded: 2,
  loadInitMs: 400,
  loadGBps: 4,
  ttftMs: 5,
  tokensPerSec: 1000,
});

describe.each(MULTI)('$sim sim ↔ $adapter adapter', ({ sim: simKind, adapter, knowsLoaded, showsLoading }) => {
  it('reports the warm model warm and the cold one cold', async () => {
    const s = await sim(twoModels(simKind));
    const snap = await probe(adapter, s);
    expect(snap).toMatchObject({ healthy: true, knowsLoaded, loading: false });
    expect(stateOf(snap, 'warm-m')).toBe('warm');
    expect(stateOf(snap, 'cold-m')).toBe('cold');
  });

  it(`a request for the cold model ${showsLoading ? 'shows it loading, then' : 'makes it'} warm`, async () => {
    const s = await sim(twoModels(simKind));
    const answered = chat(s, 'cold-m');
    if (showsLoading) {
      const seen = await probeUntil(adapter, s, (snap) => stateOf(snap, 'cold-m') !== 'cold', 3000);
      const last = seen.at(-1);
      expect(last && stateOf(last, 'cold-m')).toBe('loading');
      expect(last?.loading).toBe(true);
    }
    expect(await answered).toBe(200);
    const after = await probe(adapter, s);
    expect(stateOf(after, 'cold-m')).toBe('warm');
  });
});

describe('llama-server (single model) sim ↔ llama-server adapter', () => {
  it('loading at start (503 "Loading model"), then warm with the sim slots', async () => {
    const s = await sim({ kind: 'llama-server', models: [{ id: 'tiny-a', loaded: false, sizeGB: 1 }], loadInitMs: 300, loadGBps: 4, slots: 3 });
    const seen = await probeUntil('llama-server', s, (snap) => snap.healthy);
    expect(seen[0]).toMatchObject({ healthy: false, loading: true, models: [{ id: 'tiny-a', state: 'loading' }] });
    expect(seen.at(-1)).toMatchObject({ healthy: true, loading: false, slots: 3, busySlots: 0, models: [{ id: 'tiny-a', state: 'warm' }] });
  });
});

describe('vllm sim ↔ vllm adapter', () => {
  it('awake: warm, with in-flight from /metrics', async () => {
    const s = await sim({ kind: 'vllm', models: [{ id: 'Qwen/Qwen2.5-7B-Instruct' }] });
    expect(await probe('vllm', s)).toMatchObject({ healthy: true, inFlight: 0, queued: 0, models: [{ id: 'Qwen/Qwen2.5-7B-Instruct', state: 'warm' }] });
  });

  it('asleep: up, cold, sleeping; a waiting request counts as queued; /wake_up makes it warm', async () => {
    const s = await sim({ kind: 'vllm', models: [{ id: 'q', loaded: false, sizeGB: 1 }], loadInitMs: 200 });
    expect(await probe('vllm', s)).toMatchObject({ healthy: true, sleeping: true, models: [{ id: 'q', state: 'cold' }] });
    // Requests wait while asleep (no autoload): vLLM is woken explicitly, as llama-swap's vllm-wrapper does.
    const answered = chat(s, 'q');
    const seen = await probeUntil('vllm', s, (snap) => (snap.queued ?? 0) > 0, 3000);
    expect(seen.at(-1)).toMatchObject({ sleeping: true, queued: 1 });
    const woke = await fetch(`${s.url}/wake_up`, { method: 'POST', signal: AbortSignal.timeout(10_000) });
    expect(woke.status).toBe(200);
    expect(await answered).toBe(200);
    const awake = await probe('vllm', s);
    expect(awake.sleeping).toBeUndefined();
    expect(stateOf(awake, 'q')).toBe('warm');
  });
});

describe('residency-blind kinds', () => {
  it('openai: every listed model warm, knowsLoaded=false', async () => {
    const s = await sim(twoModels('openai'));
    const snap = await probe('openai', s);
    expect(snap).toMatchObject({ healthy: true, knowsLoaded: false });
    expect(snap.models.map((m) => [m.id, m.state]).sort()).toEqual([
      ['cold-m', 'warm'],
      ['warm-m', 'warm'],
    ]);
  });

  it('mlx-lm: every listed model reported cold, knowsLoaded=false', async () => {
    const s = await sim({ ...twoModels('mlx-lm'), maxLoaded: 1 });
    const snap = await probe('mlx-lm', s);
    expect(snap).toMatchObject({ healthy: true, knowsLoaded: false });
    expect(snap.models.map((m) => m.id).sort()).toEqual(['cold-m', 'warm-m']);
  });
});
