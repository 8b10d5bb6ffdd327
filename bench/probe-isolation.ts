// Benchmark: the ext_proc decision path does no I/O.
//
// Envoy + warmroute (startGateway: real Envoy, the sidecar with its background
// prober, 3 simulated backends serving the same model; probes every 200 ms,
// timeout 2.5 s). Two phases, interleaved in blocks (N S S N N S S N …, so
// drift over the run hits both alike):
//   normal  probes answer at once
//   slow    every backend's probe endpoints answer after 2 s (setProbeDelay),
//           so probes are outstanding nearly all the time
// If any routing decision waited on a probe, slow-phase requests would take
// up to ~2 s; the ratio slow/normal of p50/p90/p99 should be ≈ 1.
// The prober's fetches are counted (global fetch wrapped in this process) to
// show how many probes were in flight when each request started.
//
//   npm run bench:probes   (writes bench/results/probe-isolation.{json,md})
import { setTimeout as sleep } from 'node:timers/promises';
import { startGateway, type Gateway } from '../e2e/harness.ts';
import { agenticBody, BENCH_MODEL } from './lib/bodies.ts';
import { postTimed, target, type Target } from './lib/client.ts';
import { commandLine, loadNow, machineInfo, type MachineInfo, machineLine } from './lib/machine.ts';
import { quantile, ratioBootstrap, round, summarize, type Summary } from './lib/stats.ts';
import { runIfMain, writeResultFiles } from './lib/results.ts';

export const PHASES = ['normal', 'slow'] as const;
export type Phase = (typeof PHASES)[number];

const PATH = '/v1/chat/completions';
const BACKENDS = ['a', 'b', 'c'] as const;

export interface ProbeBenchOptions {
  /** Requests per block (default 250). */
  iterations?: number;
  /** Blocks per phase (default 4). */
  blocks?: number;
  /** Probe delay of the slow phase (default 2000 ms). */
  probeDelayMs?: number;
  /** Pause between requests, so a block spans at least one slow probe cycle (default 8 ms). */
  gapMs?: number;
  /** Accepted for symmetry with body-size's run(); bodies here are always 1 KB. */
  sizes?: number[];
  /** Write bench/results/probe-isolation.{json,md} (default true). */
  write?: boolean;
  progress?: (line: string) => void;
}

export interface PhaseResult {
  latencyMs: Summary;
  /** Requests that started while at least one / all backends had a probe in flight. */
  startedWithProbeInFlight: { anyShare: number; allShare: number; meanInFlight: number };
  /** Probe GETs that ended during this phase's blocks, and their durations. */
  probes: { completed: number; p50Ms: number; maxMs: number };
  statuses: Record<string, number>;
  servedBy: Record<string, number>;
  blockP50Ms: number[];
}

export interface ProbeBenchResult {
  benchmark: 'probe-isolation';
  date: string;
  command: string;
  machine: MachineInfo;
  setup: Record<string, unknown>;
  phases: Record<Phase, PhaseResult>;
  /** slow / normal, with 90 % bootstrap intervals. */
  ratio: Record<'p50' | 'p90' | 'p99', { value: number; ci90: [number, number] }>;
  /** The slowest slow-phase request as a share of the probe delay (a request that waited on a probe would be ≥ 1). */
  slowestVsProbeDelay: number;
  blockOrder: Phase[];
  durationS: number;
}

/** Counts the prober's GETs (the only fetch() calls to /v1/models in this process) while installed. */
function probeCounter(): { inFlight(): number; inFlightBackends(): number; ended: Array<{ at: number; ms: number }>; restore(): void } {
  const original = globalThis.fetch;
  const open = new Map<string, number>();
  const ended: Array<{ at: number; ms: number }> = [];
  let inFlight = 0;
  globalThis.fetch = (async (input: Parameters<typeof fetch>[0], init?: Parameters<typeof fetch>[1]) => {
    const url = new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);
    if (url.pathname !== '/v1/models') return original(input, init);
    inFlight++;
    open.set(url.host, (open.get(url.host) ?? 0) + 1);
    const t = performance.now();
    try {
      const res = await original(input, init);
      return res;
    } finally {
      inFlight--;
      open.set(url.host, open.get(url.host)! - 1);
      ended.push({ at: performance.now(), ms: performance.now() - t });
    }
  }) as typeof fetch;
  return {
    inFlight: () => inFlight,
    inFlightBackends: () => [...open.values()].filter((n) => n > 0).length,
    ended,
    restore: () => {
      globalThis.fetch = original;
    },
  };
}

/** N S S N N S S N …: each phase equally often first and last, and half as many slow→normal switches. */
function blockOrder(blocksPerPhase: number): Phase[] {
  const out: Phase[] = [];
  for (let k = 0; k < blocksPerPhase * 2; k++) out.push(Math.floor((k + 1) / 2) % 2 === 0 ? 'normal' : 'slow');
  return out;
}

export async function run(opts: ProbeBenchOptions = {}): Promise<ProbeBenchResult> {
  const started = Date.now();
  process.env.WARMROUTE_LOG = 'silent';
  const progress = opts.progress ?? ((s: string) => process.stderr.write(s + '\n'));
  const perBlock = opts.iterations ?? 250;
  const blocks = opts.blocks ?? 4;
  const delayMs = opts.probeDelayMs ?? 2000;
  const gapMs = opts.gapMs ?? 8;
  const probe = { interval_ms: 200, timeout_ms: 2500 };
  const machine = machineInfo();
  const body = agenticBody(1024);

  const counter = probeCounter();
  let gw: Gateway | undefined;
  let client: Target | undefined;
  try {
    const sim = { kind: 'openai' as const, models: [{ id: BENCH_MODEL, loaded: true }], ttftMs: 0, tokensPerSec: 1_000_000, defaultMaxTokens: 4, slots: 4 };
    gw = await startGateway({
      sims: Object.fromEntries(BACKENDS.map((b) => [b, sim])),
      policy: {
        backends: BACKENDS.map((b) => ({ name: b, kind: 'openai' as const, url: `sim:${b}`, models: [BENCH_MODEL], probe })),
        debug: { decision_headers: true },
      },
      probe: true,
    });
    const c = target('warmroute', Number(new URL(gw.url).port));
    client = c;
    const sims = Object.values(gw.sims);

    const samples: Record<Phase, number[]> = { normal: [], slow: [] };
    const inflightAtStart: Record<Phase, Array<{ any: boolean; all: boolean; n: number }>> = { normal: [], slow: [] };
    const statuses: Record<Phase, Record<string, number>> = { normal: {}, slow: {} };
    const servedBy: Record<Phase, Record<string, number>> = { normal: {}, slow: {} };
    const windows: Record<Phase, Array<[number, number]>> = { normal: [], slow: [] };
    const blockP50: Record<Phase, number[]> = { normal: [], slow: [] };

    let i = 0;
    const one = async (phase?: Phase): Promise<void> => {
      const n = counter.inFlight();
      const nb = counter.inFlightBackends();
      const r = await postTimed(c, PATH, body, { 'x-session-id': `bench-${i++ % 12}` });
      if (!phase) return;
      samples[phase].push(r.ms);
      inflightAtStart[phase].push({ any: n > 0, all: nb >= BACKENDS.length, n });
      statuses[phase][r.status] = (statuses[phase][r.status] ?? 0) + 1;
      const b = String(r.headers['x-warmroute-backend'] ?? '?');
      servedBy[phase][b] = (servedBy[phase][b] ?? 0) + 1;
    };

    // Warm up until every backend has been probed and requests route.
    const warmEnd = Date.now() + 20_000;
    for (;;) {
      const r = await postTimed(c, PATH, body);
      if (r.status === 200) break;
      if (Date.now() > warmEnd) throw new Error(`gateway never answered 200: HTTP ${r.status} ${r.body.slice(0, 200)}`);
      await sleep(100);
    }
    for (let k = 0; k < Math.min(100, perBlock * 2); k++) await one();
    progress(`probe-isolation: envoy ${machine.envoy} pid ${gw.envoy.process.pid}; ${blocks} blocks × ${perBlock} requests per phase`);

    const order = blockOrder(blocks);
    let current: Phase = 'normal';
    for (const phase of order) {
      if (phase !== current) {
        for (const s of sims) s.setProbeDelay(phase === 'slow' ? delayMs : 0);
        const end = Date.now() + delayMs + 3000;
        if (phase === 'slow') {
          // Wait until every backend has a slow probe in flight.
          while (counter.inFlightBackends() < BACKENDS.length && Date.now() < end) await sleep(10);
        } else {
          // Wait until the last slow probes have answered.
          while (counter.inFlight() > 0 && Date.now() < end) await sleep(10);
        }
        current = phase;
      }
      const from = samples[phase].length;
      const t0 = performance.now();
      for (let k = 0; k < perBlock; k++) {
        await one(phase);
        if (gapMs > 0) await sleep(gapMs);
      }
      windows[phase].push([t0, performance.now()]);
      const p50 = quantile(samples[phase].slice(from), 0.5);
      blockP50[phase].push(round(p50, 3));
      progress(`probe-isolation ${phase} block: p50 ${p50.toFixed(2)} ms, ${((performance.now() - t0) / 1000).toFixed(1)} s, probes in flight now ${counter.inFlight()}`);
    }
    for (const s of sims) s.setProbeDelay(0);

    const phaseResult = (p: Phase): PhaseResult => {
      const ended = counter.ended.filter((e) => windows[p].some(([a, b]) => e.at >= a && e.at <= b));
      const at = inflightAtStart[p];
      const lat = summarize(samples[p]);
      return {
        latencyMs: { n: lat.n, p50: round(lat.p50, 3), p90: round(lat.p90, 3), p99: round(lat.p99, 3), mean: round(lat.mean, 3), min: round(lat.min, 3), max: round(lat.max, 3) },
        startedWithProbeInFlight: {
          anyShare: round(at.filter((x) => x.any).length / at.length, 3),
          allShare: round(at.filter((x) => x.all).length / at.length, 3),
          meanInFlight: round(at.reduce((s, x) => s + x.n, 0) / at.length, 2),
        },
        probes: {
          completed: ended.length,
          p50Ms: round(quantile(ended.map((e) => e.ms), 0.5), 1),
          maxMs: round(ended.length ? Math.max(...ended.map((e) => e.ms)) : NaN, 1),
        },
        statuses: statuses[p],
        servedBy: servedBy[p],
        blockP50Ms: blockP50[p],
      };
    };
    const phases = { normal: phaseResult('normal'), slow: phaseResult('slow') };
    const ratioOf = (q: number, seed: number) => {
      const ci = ratioBootstrap(samples.normal, samples.slow, (xs) => quantile(xs, q), { seed });
      return { value: round(quantile(samples.slow, q) / quantile(samples.normal, q), 3), ci90: [round(ci.lo, 3), round(ci.hi, 3)] as [number, number] };
    };
    const result: ProbeBenchResult = {
      benchmark: 'probe-isolation',
      date: new Date().toISOString(),
      command: commandLine('bench:probes'),
      machine,
      setup: {
        gateway: 'e2e/harness.ts startGateway: real Envoy (rendered config, --concurrency 2) + warmroute sidecar with background probing, in this process with the simulated backends',
        backends: `3 simulated OpenAI servers (${BACKENDS.join(', ')}), all listing ${BENCH_MODEL}; ttftMs 0, 4 tokens, non-streaming`,
        probe,
        slowProbeDelayMs: delayMs,
        request: `POST ${PATH}, ${body.length} B agentic body, x-session-id one of 12, concurrency 1, ${gapMs} ms pause between requests`,
        blocks: `${blocks} per phase × ${perBlock} requests; after a switch to slow, measuring starts once every backend has a slow probe in flight; after a switch to normal, once no probe is in flight`,
      },
      phases,
      ratio: { p50: ratioOf(0.5, 1), p90: ratioOf(0.9, 2), p99: ratioOf(0.99, 3) },
      slowestVsProbeDelay: round(phases.slow.latencyMs.max / delayMs, 4),
      blockOrder: order,
      durationS: round((Date.now() - started) / 1000, 1),
    };
    machine.loadavg1mAtEnd = loadNow();
    if (opts.write !== false) writeResults(result);
    return result;
  } finally {
    counter.restore();
    client?.agent.destroy();
    await gw?.stop();
  }
}

const f = (x: number, d = 2): string => (Number.isFinite(x) ? x.toFixed(d) : String(x));
const pct = (x: number): string => `${(x * 100).toFixed(1)} %`;

export function toMarkdown(r: ProbeBenchResult): string {
  const m = r.machine;
  const lines: string[] = [];
  lines.push('# Probe isolation: request latency while every probe hangs for 2 s', '');
  lines.push(`- Date: ${r.date}`);
  lines.push(`- Command: \`${r.command}\` (run time ${r.durationS} s)`);
  lines.push(machineLine(m, { envoy: true }));
  lines.push(`- Setup: ${String(r.setup.gateway)}. ${String(r.setup.backends)}. Probes: every ${(r.setup.probe as { interval_ms: number }).interval_ms} ms, timeout ${(r.setup.probe as { timeout_ms: number }).timeout_ms} ms.`);
  lines.push(`- Requests: ${String(r.setup.request)}. Blocks: ${String(r.setup.blocks)}. Order: ${r.blockOrder.join(' ')}.`);
  lines.push(`- Slow phase: every backend's probe endpoints answer after ${String(r.setup.slowProbeDelayMs)} ms (sim setProbeDelay).`, '');
  lines.push('## Latency (ms)', '');
  lines.push('| phase | n | p50 | p90 | p99 | max | block p50s | requests started with ≥1 / all 3 backends probing | probes ended in phase (p50 / max ms) | statuses | served by |');
  lines.push('|---|---|---|---|---|---|---|---|---|---|---|');
  for (const p of PHASES) {
    const x = r.phases[p];
    const l = x.latencyMs;
    lines.push(
      `| ${p} | ${l.n} | ${f(l.p50)} | ${f(l.p90)} | ${f(l.p99)} | ${f(l.max)} | ${x.blockP50Ms.map((v) => f(v)).join(', ')} | ${pct(x.startedWithProbeInFlight.anyShare)} / ${pct(x.startedWithProbeInFlight.allShare)} | ` +
        `${x.probes.completed} (${f(x.probes.p50Ms, 0)} / ${f(x.probes.maxMs, 0)}) | ${Object.entries(x.statuses).map(([k, v]) => `${k}: ${v}`).join(', ')} | ${Object.entries(x.servedBy).map(([k, v]) => `${k}: ${v}`).join(', ')} |`,
    );
  }
  lines.push('', '## Ratio slow / normal', '');
  lines.push('| | p50 | p90 | p99 |');
  lines.push('|---|---|---|---|');
  lines.push(`| slow / normal | ${f(r.ratio.p50.value, 3)} | ${f(r.ratio.p90.value, 3)} | ${f(r.ratio.p99.value, 3)} |`);
  lines.push(`| 90 % CI (bootstrap) | [${f(r.ratio.p50.ci90[0], 3)}, ${f(r.ratio.p50.ci90[1], 3)}] | [${f(r.ratio.p90.ci90[0], 3)}, ${f(r.ratio.p90.ci90[1], 3)}] | [${f(r.ratio.p99.ci90[0], 3)}, ${f(r.ratio.p99.ci90[1], 3)}] |`);
  lines.push(
    '',
    `The slowest slow-phase request took ${f(r.phases.slow.latencyMs.max)} ms = ${f(r.slowestVsProbeDelay * 100, 2)} % of the ${String(r.setup.slowProbeDelayMs)} ms probe delay: ` +
      'a decision that waited on a probe would have taken about the whole delay.',
    '',
  );
  return lines.join('\n');
}

export function writeResults(r: ProbeBenchResult): void {
  writeResultFiles('probe-isolation', r, toMarkdown(r));
}

runIfMain(import.meta.url, () => run(), toMarkdown);
