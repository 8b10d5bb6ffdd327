// A backend process is SIGKILLed while streams run on it and on another
// backend. Only its own in-flight requests fail; the first request that fails
// on it marks it down, and nothing new goes there. Probes are slow on purpose
// (30 s), so what marks it down is the failed request, not a probe.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { client, shortChat, streamChat, type ShortOutcome } from './sidecar-clients.ts';
import { startFaultGateway, type FaultGateway } from './sidecar-process.ts';
import { eventually } from '../harness.ts';

const SIM = { kind: 'llama-server' as const, models: [{ id: 'm1', loaded: true }], slots: 4, ttftMs: 20, tokensPerSec: 10 };
const backend = (name: string) => ({ name, kind: 'llama-server' as const, url: `sim:${name}`, models: ['m1'], probe: { interval_ms: 30_000 } });

let gw: FaultGateway;
beforeAll(async () => {
  gw = await startFaultGateway({ sims: { a: SIM, b: SIM }, policy: { backends: [backend('a'), backend('b')], debug: { decision_headers: true }, sessions: { prefix_hash: false } } });
}, 60_000);
afterAll(async () => {
  await gw?.stop();
});

it('killing backend a mid-stream fails only its own streams; a is down at its first failed request and gets nothing after', async () => {
  const c = client(gw.url);
  let started = 0;
  // 100 tokens at 10/s: ~10 s per stream; 6 streams over 2 × 4 slots use both backends.
  const streams = Array.from({ length: 6 }, () => streamChat(c, 'm1', 100, () => started++));
  await eventually(() => started === 6, 30_000, 'every stream has its first token');

  await gw.sims.a!.kill();
  // a's streams break at once, and their ends release a's slots in the sidecar.
  await eventually(async () => (await gw.status()).backends.find((x) => x.name === 'a')!.inFlight === 0, 10_000, "a's slots released");
  // b still runs its streams, so the idle-looking a is the better choice for
  // the next request: that one fails (connection refused) and marks a down.
  const after: ShortOutcome[] = [];
  for (let i = 0; i < 8; i++) after.push(await shortChat(c, 'm1'));
  const failed = after.filter((o) => o.status !== 200);
  expect(failed, JSON.stringify(after)).toEqual([{ status: 503, code: 'upstream_error', content: undefined, error: undefined }]);
  const firstFailure = after.findIndex((o) => o.status !== 200);
  for (const o of after.slice(firstFailure + 1)) expect(o, JSON.stringify(o)).toMatchObject({ status: 200, backend: 'b' });
  expect((await gw.status()).backends.find((x) => x.name === 'a')!.healthy).toBe(false);

  const outcomes = await Promise.all(streams);
  const onA = outcomes.filter((o) => o.backend === 'a');
  const onB = outcomes.filter((o) => o.backend === 'b');
  expect(onA.length + onB.length).toBe(6);
  expect(onA.length, 'both backends carried streams').toBeGreaterThan(0);
  expect(onB.length, 'both backends carried streams').toBeGreaterThan(0);
  for (const o of onB) expect(o, JSON.stringify(o)).toMatchObject({ tokens: 100, finishReason: 'length', error: undefined });
  for (const o of onA) expect(o.tokens < 100 && o.finishReason === undefined, JSON.stringify(o)).toBe(true);
  await eventually(async () => (await gw.status()).backends.every((x) => x.inFlight === 0), 10_000, 'every slot released');
}, 90_000);
