// The sidecar process is SIGKILLed while Envoy carries traffic. Routed requests
// must not notice (their ext_proc stream is only a completion signal by then);
// undecided ones get an answer, never a hang: fail-closed a 503 JSON, fail-open
// the fallback backend.
import { afterEach, describe, expect, it } from 'vitest';
import { client, shortChat, streamChat, type ShortOutcome } from './sidecar-clients.ts';
import { startFaultGateway, type FaultGateway } from './sidecar-process.ts';
import { eventually } from '../harness.ts';

const SIM = { kind: 'llama-server' as const, models: [{ id: 'm1', loaded: true }], ttftMs: 20 };

let gw: FaultGateway | undefined;
afterEach(async () => {
  await gw?.stop();
  gw = undefined;
});

describe('sidecar killed while streams run', () => {
  it('12 running streams all finish with their full content', async () => {
    // 40 tokens at 10/s: each stream runs ~4 s, long after the kill.
    gw = await startFaultGateway({
      sims: { a: { ...SIM, slots: 16, tokensPerSec: 10 } },
      policy: { backends: [{ name: 'a', kind: 'llama-server', url: 'sim:a', models: ['m1'] }], debug: { decision_headers: true } },
    });
    const c = client(gw.url);
    let started = 0;
    const streams = Array.from({ length: 12 }, () => streamChat(c, 'm1', 40, () => started++));
    await eventually(() => started === 12, 30_000, 'every stream has its first token');
    await gw.sidecar.kill();
    const outcomes = await Promise.all(streams);
    for (const o of outcomes) expect(o, JSON.stringify(o)).toEqual({ tokens: 40, finishReason: 'length', backend: 'a', error: undefined });
    // Envoy saw the routing streams fail and carried on (failure_mode_allow after the decision).
    expect(await gw.envoyStat('http.warmroute.ext_proc.streams_failed')).toBeGreaterThanOrEqual(12);
  }, 90_000);

  it('routed requests still waiting for their first byte finish too (the routing filter reads response headers)', async () => {
    // The backend answers 2.5 s after a request arrives: the kill lands between the decision and the response headers.
    gw = await startFaultGateway({
      sims: { a: { ...SIM, slots: 16, ttftMs: 2500, tokensPerSec: 50 } },
      policy: { backends: [{ name: 'a', kind: 'llama-server', url: 'sim:a', models: ['m1'] }], debug: { decision_headers: true } },
    });
    const c = client(gw.url);
    const g = gw;
    const streams = Array.from({ length: 6 }, () => streamChat(c, 'm1', 5));
    await eventually(async () => (await g.status()).backends.find((b) => b.name === 'a')?.inFlight === 6, 30_000, 'all six routed');
    await gw.sidecar.kill();
    const outcomes = await Promise.all(streams);
    for (const o of outcomes) expect(o, JSON.stringify(o)).toEqual({ tokens: 5, finishReason: 'length', backend: 'a', error: undefined });
  }, 90_000);
});

/**
 * Eight clients send short requests back to back; the sidecar dies mid-run and
 * they keep going for a while. Slots are few, so some requests wait in the
 * sidecar's queue when it dies: those were never routed.
 */
async function loadAcrossKill(g: FaultGateway): Promise<{ before: ShortOutcome[]; after: ShortOutcome[] }> {
  const c = client(g.url);
  const before: ShortOutcome[] = [];
  const after: ShortOutcome[] = [];
  let killed = false;
  let stop = false;
  const worker = async (): Promise<void> => {
    while (!stop) {
      const wasKilled = killed;
      const o = await shortChat(c, 'm1');
      (wasKilled ? after : before).push(o);
    }
  };
  const workers = Array.from({ length: 8 }, worker);
  await eventually(() => before.filter((o) => o.status === 200).length >= 20, 30_000, '20 answers before the kill');
  await g.sidecar.kill();
  killed = true;
  await eventually(() => after.length >= 40, 30_000, '40 answers after the kill');
  stop = true;
  await Promise.all(workers);
  return { before, after };
}

describe('sidecar killed under load', () => {
  it('fail-closed: every request is answered, with a completion or a 503 router_unavailable JSON error', async () => {
    gw = await startFaultGateway({
      sims: { a: { ...SIM, slots: 2, tokensPerSec: 100 } },
      policy: { backends: [{ name: 'a', kind: 'llama-server', url: 'sim:a', models: ['m1'] }] },
    });
    const { before, after } = await loadAcrossKill(gw);
    for (const o of [...before, ...after]) {
      const ok = (o.status === 200 && o.content !== undefined) || (o.status === 503 && o.code === 'router_unavailable');
      expect(ok, JSON.stringify(o)).toBe(true);
    }
    // A request sent after the kill has no router to ask.
    expect(after.every((o) => o.status === 503)).toBe(true);
  }, 90_000);

  it('fail-open: the fallback backend serves every request, queued ones included', async () => {
    gw = await startFaultGateway({
      sims: { a: { ...SIM, slots: 2, tokensPerSec: 100 } },
      policy: { backends: [{ name: 'a', kind: 'llama-server', url: 'sim:a', models: ['m1'] }], envoy: { failure_mode: 'open', fallback_backend: 'a' } },
    });
    const { before, after } = await loadAcrossKill(gw);
    for (const o of [...before, ...after]) expect(o.status, JSON.stringify(o)).toBe(200);
  }, 90_000);
});
