// Live replay and recording against a real Envoy gateway with simulated
// backends: every request of the trace is answered (served, or refused with
// the documented error), dependencies are honoured in real time, counts add
// up, and what the sidecar records is a trace that replays.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { replayCommand } from '../sidecar/cli/replay.ts';
import { buildFleetModel } from '../sidecar/replay/fleet-model.ts';
import { metricsLoadCounter, replayLive } from '../sidecar/replay/live.ts';
import { reportOf } from '../sidecar/replay/report.ts';
import type { ReplaySummary } from '../sidecar/replay/summary.ts';
import { dependenciesOf, parseTrace } from '../sidecar/replay/trace.ts';
import { replayVirtual } from '../sidecar/replay/virtual.ts';
import { eventually, startGateway, type Gateway } from './harness.ts';

const SIM = { kind: 'llama-swap' as const, maxLoaded: 1, slots: 2, loadInitMs: 150, loadGBps: 2, tokensPerSec: 400, ttftMs: 10, models: [{ id: 'orch', sizeGB: 0.2 }, { id: 'explore', sizeGB: 0.2 }, { id: 'code', sizeGB: 0.2 }] };

// A small closed-loop agentic trace: a plan, two sub-agents of two steps, a poll, a summary after all; plus an unknown model.
const TRACE = [
  '{"trace":{"name":"mini-agentic","description":"e2e"}}',
  '{"id":"plan","model":"orch","session":"o","at_ms":0,"prompt_tokens":200,"output_tokens":12}',
  '{"id":"e1","model":"explore","session":"e","after":"plan","gap_ms":20,"prompt_tokens":300,"output_tokens":20}',
  '{"id":"e2","model":"explore","session":"e","after":"e1","gap_ms":20,"prompt_tokens":400,"output_tokens":20,"stream":false}',
  '{"id":"c1","model":"code","session":"c","after":"plan","gap_ms":30,"prompt_tokens":300,"output_tokens":25}',
  '{"id":"c2","model":"code","session":"c","after":"c1","prompt_tokens":500,"output_tokens":25,"api":"completions"}',
  '{"id":"poll","model":"orch","session":"o","after":"plan","gap_ms":100,"prompt_tokens":50,"output_tokens":3}',
  '{"id":"sum","model":"orch","session":"o","after":["e2","c2","poll"],"gap_ms":10,"prompt_tokens":900,"output_tokens":15}',
  '{"id":"late","model":"orch","at_ms":50,"prompt_tokens":20,"output_tokens":5,"stream":false}',
  '{"id":"ghost","model":"no-such-model","at_ms":10,"prompt_tokens":20,"output_tokens":5}',
].join('\n');

describe('replay against a live gateway', () => {
  let gw: Gateway;
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'warmroute-replay-'));
    gw = await startGateway({
      sims: { box1: SIM, box2: SIM },
      policy: {
        backends: [
          { name: 'box1', kind: 'llama-swap', url: 'sim:box1', models: ['orch', 'explore', 'code'], slots: 2, max_models: 1, probe: { interval_ms: 200 } },
          { name: 'box2', kind: 'llama-swap', url: 'sim:box2', models: ['orch', 'explore', 'code'], slots: 2, max_models: 1, probe: { interval_ms: 200 } },
        ],
        debug: { decision_headers: true },
        record: { file: join(dir, 'recorded.jsonl'), flush_ms: 100 },
      },
    });
    await eventually(() => gw.sidecar!.store.views().every((v) => v.healthy), 60_000, 'backends probed healthy');
  }, 120_000);
  afterAll(async () => {
    await gw?.stop();
  });

  it('answers every request, honours dependencies, and counts add up', async () => {
    const trace = parseTrace(TRACE, 'mini');
    const run = await replayLive(trace, { baseUrl: gw.url, loadCounter: metricsLoadCounter(`http://127.0.0.1:${gw.sidecar!.adminPort}/metrics`) });
    expect(run.requests.map((r) => r.id)).toEqual(trace.requests.map((r) => r.id));
    const byId = new Map(run.requests.map((r) => [r.id, r]));
    for (const spec of trace.requests) {
      const r = byId.get(spec.id)!;
      expect(r.endedAt).toBeGreaterThanOrEqual(r.arrivedAt);
      // Timers never fire early (1 ms of timer rounding allowed).
      for (const d of dependenciesOf(spec)) expect(r.arrivedAt + 1).toBeGreaterThanOrEqual(byId.get(d)!.endedAt + (spec.gap_ms ?? 0));
      if (spec.id === 'ghost') expect(r.failed).toEqual({ status: 404, code: 'model_not_found' });
      else {
        expect(r.failed, spec.id).toBeUndefined();
        expect(['box1', 'box2']).toContain(r.backend);
        expect(r.startedAt).toBeGreaterThanOrEqual(r.arrivedAt);
      }
    }
    const report = reportOf(run);
    expect(report.requests).toBe(9);
    expect(report.failed).toBe(1);
    expect(Object.values(report.backends).reduce((a, b) => a + b, 0)).toBe(8);
    const simRequests = Object.values(gw.sims).reduce((n, s) => n + s.stats().requests, 0);
    expect(simRequests).toBe(8);
    // Loads come from the sidecar's /metrics; the sims loaded at least every model once.
    expect(report.loads).not.toBeNull();
    expect(Object.values(run.loads!.byModel).reduce((a, b) => a + b, 0)).toBe(run.loads!.total);
    expect(Object.values(gw.sims).reduce((n, s) => n + s.stats().loads, 0)).toBeGreaterThanOrEqual(3);
  }, 120_000);

  it('the CLI replays live (base URL ending in /v1) and writes the JSON report', async () => {
    const traceFile = join(dir, 'mini.jsonl');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(traceFile, TRACE);
    const out = join(dir, 'report.json');
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = (() => true) as typeof process.stdout.write;
    try {
      expect(await replayCommand(['--trace', traceFile, '--live', `${gw.url}/v1`, '--json', out])).toBe(0);
    } finally {
      process.stdout.write = write;
    }
    const summary = JSON.parse(readFileSync(out, 'utf8')) as ReplaySummary;
    expect(summary.mode).toBe('live');
    expect(summary.runs[0]).toMatchObject({ requests: 9, failed: 1, failures: { model_not_found: 1 }, loads: null });
  }, 120_000);

  it('records what it routed as a trace that replays in virtual time', async () => {
    const file = join(dir, 'recorded.jsonl');
    // Both runs above: 18 requests; the recorder flushes every 100 ms.
    await eventually(() => {
      try {
        return parseTrace(readFileSync(file, 'utf8')).requests.length === 18;
      } catch {
        return false;
      }
    }, 60_000, 'recording flushed');
    const text = readFileSync(file, 'utf8');
    expect(text).not.toContain('"session":"o"');
    const recorded = parseTrace(text, file);
    const outcomes = recorded.requests.map((r) => r.recorded?.outcome);
    expect(outcomes.filter((o) => o === 'completed')).toHaveLength(16);
    expect(outcomes.filter((o) => o === 'model_not_found')).toHaveLength(2);
    const report = reportOf(replayVirtual(recorded, gw.policy, buildFleetModel(gw.policy), 'warm-first'));
    expect(report.requests).toBe(18);
    expect(report.failures).toEqual({ model_not_found: 2 });
  }, 120_000);
});
