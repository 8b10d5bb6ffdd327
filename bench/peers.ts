// warmroute side by side with what users run today, on real parts: trace (a)
// (bench/traces/agentic.jsonl) replayed live, in real time, against
//   - warmroute (`warmroute up`: real Envoy + the sidecar) in front of two llama-swap boxes,
//   - Olla (least-connections, its default) in front of the same two boxes,
//   - one llama-swap box alone (the client talks to it directly),
// each box a real llama-swap starting real llama-server processes, one model at a time.
// Every target starts from fresh, cold boxes; loads are counted from the llama-server
// processes the boxes really started. The trace's lower bound is computed from load and
// service times measured on these boxes in the same run.
//   LLAMA_SERVER=… LLAMA_SWAP=… OLLA=… GGUF_DIR=… npm run bench:peers [-- --repeat N]
// GGUF_DIR holds orch.gguf, explore.gguf, code.gguf (../shared/tools/make-tiny-gguf.py).
// Diagnosis (opt-in; neither writes bench/results/):
//   --only warmroute,olla,llama-swap   run only these targets (any subset);
//   --keep-logs DIR                    keep every run's files in DIR/<target>-<random>/: llama-swap's log
//                                      at debug level (each swap, what it evicted, why a request queued)
//                                      and its loads.txt per box, warmroute's whole log with one line per
//                                      routing decision (--log-requests), queue.jsonl (the sidecar's queue with
//                                      each waiting request's reason, every 100 ms while not empty: admin /status),
//                                      and requests.json (each request's times and failure; ms after `startedAt`).
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Policy } from '../sidecar/policy/schema.ts';
import { buildFleetModel, type ServerModel } from '../sidecar/replay/fleet-model.ts';
import { readTrace } from '../sidecar/replay/inputs.ts';
import { replayLive } from '../sidecar/replay/live.ts';
import { lowerBound, type LowerBound } from '../sidecar/replay/lower-bound.ts';
import { reportOf, type RunReport } from '../sidecar/replay/report.ts';
import { outputTokensOf, type Trace } from '../sidecar/replay/trace.ts';
import { freePort } from '../e2e/harness.ts';
import type { FleetSpec } from '../sim/spec.ts';
import { commandLine, loadNow, machineInfo, type MachineInfo } from './lib/machine.ts';
import { watchStatus } from './lib/status-watch.ts';
import { findRealParts, startLlamaSwapBox, startOlla, type LlamaSwapBox, type RealParts } from './lib/real-parts.ts';
import { runIfMain, writeResultFiles } from './lib/results.ts';
import { startWarmrouteUp, waitUntil } from './lib/warmroute-up.ts';

export const TRACE = fileURLToPath(new URL('./traces/agentic.jsonl', import.meta.url));
const MODELS = ['orch', 'explore', 'code'] as const;
/** Each load sleeps this long before llama-server starts (real models take seconds; the tiny ones well under one). */
const LOAD_DELAY_S = 2;
/** llama-server slots per box. */
const PARALLEL = 4;
/**
 * The live replayer sends about four characters per prompt token (real tokenizers); the tiny
 * models have a byte vocabulary (one token per character) and a 4,096-token context. Prompts
 * are shortened by this factor so the trace's longest prompt (5,200 tokens) fits.
 */
const PROMPT_SCALE = 8;

type TargetName = 'warmroute' | 'olla least-connections' | 'llama-swap alone';
/** `--only` names a target by its first word. */
const shortName = (t: TargetName): string => t.split(' ')[0]!;

/** What `--keep-logs` asks for: where the files stay, and the extra logging. */
interface Diagnosis {
  keepLogs: boolean;
}

export interface PeerRun {
  target: TargetName;
  repeat: number;
  report: RunReport;
  /** llama-server processes the boxes started, by box and model. */
  realLoads: Record<string, Record<string, number>>;
  realLoadsTotal: number;
}

export interface PeersResult {
  date: string;
  command: string;
  machine: MachineInfo;
  skipped: string[];
  trace: { name: string; requests: number };
  /** The fastest of the calibrations, figure by figure: what the lower bound is computed from. */
  calibration?: Calibration;
  /** Measured before the runs and after them (the machine is shared: its speed drifts). */
  calibrations?: Calibration[];
  lowerBound?: LowerBound;
  runs: PeerRun[];
  /** Run with --only (a diagnosis): not written to bench/results/. */
  partial?: boolean;
}

export interface Calibration {
  loadMs: number;
  tokensPerSec: number;
  ttftMs: number;
  prefillMsPerToken: number;
}

/**
 * A lower bound must assume the parts at their fastest: a calibration taken
 * while the machine was busier would make the bound exceed what the runs
 * reach. So each figure is the best of the calibrations.
 */
function fastest(cs: readonly Calibration[]): Calibration {
  return {
    loadMs: Math.min(...cs.map((c) => c.loadMs)),
    tokensPerSec: Math.max(...cs.map((c) => c.tokensPerSec)),
    ttftMs: Math.min(...cs.map((c) => c.ttftMs)),
    prefillMsPerToken: Math.min(...cs.map((c) => c.prefillMsPerToken)),
  };
}

export function shortenPrompts(trace: Trace): Trace {
  return { ...trace, requests: trace.requests.map((r) => ({ ...r, prompt_tokens: Math.max(1, Math.round(r.prompt_tokens / PROMPT_SCALE)) })) };
}

async function boxes(parts: RealParts, workDir: string, count: number, diagnosis: Diagnosis = { keepLogs: false }): Promise<LlamaSwapBox[]> {
  const out: LlamaSwapBox[] = [];
  for (let i = 0; i < count; i++)
    out.push(
      await startLlamaSwapBox(parts, {
        name: `box${i + 1}`,
        port: await freePort(),
        startPort: 21000 + 100 * i + Math.floor(Math.random() * 50),
        models: MODELS,
        loadDelayS: LOAD_DELAY_S,
        parallel: PARALLEL,
        concurrentBoxes: count,
        workDir,
        logLevel: diagnosis.keepLogs ? 'debug' : 'info',
      }),
    );
  return out;
}

interface Timed {
  ms: number;
  /** llama-server's own timings of the request. */
  timings: { prompt_n: number; prompt_ms: number; predicted_n: number; predicted_ms: number };
}

async function chat(url: string, model: string, maxTokens: number, promptChars = 200): Promise<Timed> {
  const t0 = performance.now();
  const res = await fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    // cache_prompt off: every calibration request processes its whole prompt.
    body: JSON.stringify({ model, messages: [{ role: 'user', content: 'x'.repeat(promptChars) }], max_tokens: maxTokens, cache_prompt: false }),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`calibration request: HTTP ${res.status} ${text}`);
  return { ms: performance.now() - t0, timings: (JSON.parse(text) as { timings: Timed['timings'] }).timings };
}

/** Load time (measured from outside), prompt and token rates (the server's own timings), median of three. */
async function calibrate(parts: RealParts, workDir: string, name: string): Promise<Calibration> {
  const [box] = await boxes(parts, join(workDir, name), 1);
  try {
    const cold = await chat(box!.url, 'orch', 8);
    const median = async (f: () => Promise<Timed>): Promise<Timed> => {
      const xs = [await f(), await f(), await f()].sort((a, b) => a.ms - b.ms);
      return xs[1]!;
    };
    const short = await median(() => chat(box!.url, 'orch', 8));
    const long = await median(() => chat(box!.url, 'orch', 200, 2200));
    const t = long.timings;
    return {
      loadMs: Math.round(cold.ms - short.ms),
      // Time outside prompt and generation: the HTTP hops and llama-swap's proxy.
      ttftMs: Math.max(0, Math.round(short.ms - short.timings.prompt_ms - short.timings.predicted_ms)),
      prefillMsPerToken: t.prompt_ms / Math.max(1, t.prompt_n),
      tokensPerSec: Math.round((1000 * t.predicted_n) / Math.max(1e-3, t.predicted_ms)),
    };
  } finally {
    await box!.stop();
  }
}

/** The two boxes as the virtual-time model sees them, and the trace with each request's measured service time. */
export function calibratedFleet(trace: Trace, c: Calibration): { policy: Policy; fleet: ServerModel[]; trace: Trace } {
  const policy = Policy.parse({
    backends: ['box1', 'box2'].map((name) => ({ name, kind: 'llama-swap', url: 'http://127.0.0.1:1', models: [...MODELS], slots: PARALLEL, max_models: 1 })),
  });
  const spec: FleetSpec = {
    backends: ['box1', 'box2'].map((name) => ({
      name,
      kind: 'llama-swap',
      maxLoaded: 1,
      slots: PARALLEL,
      loadInitMs: c.loadMs,
      loadGBps: 1,
      tokensPerSec: c.tokensPerSec,
      ttftMs: c.ttftMs,
      models: MODELS.map((id) => ({ id, sizeGB: 0.001 })),
    })),
  };
  // Prompt processing is part of each request's service time on these CPUs: give every
  // request its measured service time, so the bound does not assume free prefill.
  const timed: Trace = {
    ...trace,
    requests: trace.requests.map((r) => ({ ...r, service_ms: Math.round(c.ttftMs + (r.prompt_tokens * 4 + 40) * c.prefillMsPerToken + (outputTokensOf(r) * 1000) / c.tokensPerSec) })),
  };
  return { policy, fleet: buildFleetModel(policy, spec), trace: timed };
}

function boundFor(trace: Trace, c: Calibration): LowerBound {
  const f = calibratedFleet(trace, c);
  return lowerBound(f.trace, f.fleet);
}

/** Diagnosis: the sidecar's queue (each waiting request's reason) every QUEUE_WATCH_MS while it is not empty, from its admin API. */
const QUEUE_WATCH_MS = 100;
function watchQueue(adminUrl: string, file: string): { stop(): Promise<void> } {
  return watchStatus(adminUrl, file, QUEUE_WATCH_MS, (s) => (s.queue.length > 0 ? [{ t: new Date().toISOString(), queue: s.queue }] : []));
}

async function runTarget(target: TargetName, repeat: number, trace: Trace, parts: RealParts, workDir: string, diagnosis: Diagnosis): Promise<PeerRun> {
  const dir = mkdtempSync(join(workDir, `${target.replace(/\W+/g, '-')}-`));
  const bs = await boxes(parts, dir, target === 'llama-swap alone' ? 1 : 2, diagnosis);
  let front: { url: string; stop(): Promise<void> } | undefined;
  try {
    if (target === 'warmroute') {
      const up = await startWarmrouteUp({ backends: bs.map((b) => ({ name: b.name, kind: 'llama-swap' as const, url: b.url, models: [...MODELS], slots: PARALLEL, max_models: 1 })) }, dir, { fullLog: diagnosis.keepLogs });
      const watching = diagnosis.keepLogs ? watchQueue(up.adminUrl, join(dir, 'queue.jsonl')) : undefined;
      front = { url: up.url, stop: async () => (await watching?.stop(), up.stop()) };
    } else if (target === 'olla least-connections') {
      const olla = await startOlla(parts.olla!, { port: await freePort(), endpoints: bs.map((b) => ({ name: b.name, url: b.url })), balancer: 'least-connections', workDir: dir });
      front = { url: olla.proxyUrl, stop: olla.stop };
      // Olla routes only to endpoints whose health checks and model discovery have landed.
      await waitUntil(`${olla.proxyUrl}/v1/models`, (b) => MODELS.every((m) => b.includes(`"${m}"`)), 30_000);
    }
    const url = front?.url ?? bs[0]!.url;
    const startedAt = new Date().toISOString();
    const run = await replayLive(trace, { baseUrl: url, label: target });
    if (diagnosis.keepLogs) writeFileSync(join(dir, 'requests.json'), JSON.stringify({ target, repeat, startedAt, requests: run.requests }, null, 1));
    const realLoads = Object.fromEntries(bs.map((b) => [b.name, b.loads()]));
    const realLoadsTotal = Object.values(realLoads).reduce((n, m) => n + Object.values(m).reduce((a, b) => a + b, 0), 0);
    return { target, repeat, report: reportOf({ ...run, loads: { total: realLoadsTotal, byModel: {} } }), realLoads, realLoadsTotal };
  } finally {
    await front?.stop();
    for (const b of bs) await b.stop();
  }
}

export async function runPeers(argv: string[] = process.argv.slice(2)): Promise<PeersResult> {
  const { values } = parseArgs({ args: argv, options: { repeat: { type: 'string', default: '2' }, only: { type: 'string' }, 'keep-logs': { type: 'string' } } });
  const repeats = Math.max(1, Number(values.repeat));
  const only = values.only?.split(',').map((x) => x.trim());
  const diagnosis: Diagnosis = { keepLogs: values['keep-logs'] !== undefined };
  const machine = machineInfo();
  const found = findRealParts();
  const trace = shortenPrompts(readTrace(TRACE));
  const result: PeersResult = {
    date: new Date().toISOString(),
    command: commandLine('bench:peers'),
    machine,
    skipped: [],
    trace: { name: trace.name, requests: trace.requests.length },
    runs: [],
  };
  if (!found.parts) {
    result.skipped.push(`everything: real parts missing: ${found.missing.join(', ')} (../shared/docs/real-parts.md)`);
    return result;
  }
  const parts = found.parts;
  const keepIn = values['keep-logs'];
  if (keepIn !== undefined) mkdirSync(resolve(keepIn), { recursive: true });
  const workDir = keepIn !== undefined ? resolve(keepIn) : mkdtempSync(join(tmpdir(), 'warmroute-peers-'));
  const before = await calibrate(parts, workDir, 'calibration-before');
  const all: TargetName[] = ['warmroute', 'llama-swap alone'];
  if (parts.olla) all.splice(1, 0, 'olla least-connections');
  else result.skipped.push('olla least-connections: OLLA not set');
  const targets = all.filter((t) => only === undefined || only.includes(shortName(t)));
  if (only !== undefined) result.partial = true;
  // Interleaved: each repeat runs every target once, so drift on the machine hits all alike.
  for (let i = 1; i <= repeats; i++)
    for (const t of targets) {
      process.stderr.write(`[peers] ${t}, run ${i}/${repeats} ...\n`);
      result.runs.push(await runTarget(t, i, trace, parts, workDir, diagnosis));
    }
  result.calibrations = [before, await calibrate(parts, workDir, 'calibration-after')];
  result.calibration = fastest(result.calibrations);
  result.lowerBound = boundFor(trace, result.calibration);
  machine.loadavg1mAtEnd = loadNow();
  return result;
}

const s = (ms: number): string => (ms / 1000).toFixed(1);

function toMarkdown(r: PeersResult): string {
  const out = [
    '# Peers on real parts: trace (a), agentic',
    '',
    `Command: \`${r.command}\` · ${r.date} · ${r.machine.cpu}, ${r.machine.cores} cores, ${r.machine.memoryGB} GB, Node ${r.machine.node}, Envoy ${r.machine.envoy} · load average ${r.machine.loadavg1mAtStart} at start, ${r.machine.loadavg1mAtEnd ?? '?'} at end`,
    '',
    `Trace \`${r.trace.name}\` (${r.trace.requests} requests, closed loop) replayed live in real time. Each box is a real llama-swap`,
    `starting real llama-server processes (tiny GGUF models, ${PARALLEL} slots), one model at a time, each load ${LOAD_DELAY_S} s of`,
    'start-up plus the real load; every target starts from fresh, cold boxes. "Loads" are llama-server processes the boxes',
    'really started. Failed = any non-2xx answer or broken stream.',
    '',
  ];
  if (r.skipped.length) out.push(...r.skipped.map((x) => `Skipped: ${x}`), '');
  if (r.calibration && r.lowerBound) {
    const lb = r.lowerBound;
    const describe = (c: Calibration): string =>
      `a load takes ${c.loadMs} ms; ${c.tokensPerSec} tokens/s; first token ${c.ttftMs} ms; prompt processing ${c.prefillMsPerToken.toFixed(3)} ms per token`;
    out.push(
      ...(r.calibrations ?? []).map((c, i) => `Measured on one box ${i === 0 ? 'before' : 'after'} the runs: ${describe(c)}.`),
      `Lower bound for the trace with the fastest of these figures (${describe(r.calibration)}; \`sidecar/replay/lower-bound.ts\`, docs/traces.md): **${lb.loads} loads, makespan ${s(lb.makespanMs)} s** (critical path ${s(lb.criticalPathMs)} s, work / slots ${s(lb.workMs)} s, turns on one-model boxes ${s(lb.turnsMs)} s).`,
      '',
    );
  }
  if (r.runs.length) {
    out.push('| target | run | served | failed | real loads | wait p50 / p90 (s) | makespan (s) | makespan ÷ Olla | makespan ÷ lower bound |', '|---|---|---|---|---|---|---|---|---|');
    for (const run of r.runs) {
      const olla = r.runs.find((x) => x.target === 'olla least-connections' && x.repeat === run.repeat);
      const rep = run.report;
      out.push(
        `| ${run.target} | ${run.repeat} | ${rep.requests - rep.failed} | ${rep.failed} | ${run.realLoadsTotal} | ${s(rep.waitMs.p50)} / ${s(rep.waitMs.p90)} | ${s(rep.makespanMs)} | ${olla ? (rep.makespanMs / olla.report.makespanMs).toFixed(2) : '–'} | ${r.lowerBound ? (rep.makespanMs / r.lowerBound.makespanMs).toFixed(2) : '–'} |`,
      );
    }
    out.push('', 'Failures by code:', '');
    for (const run of r.runs) if (run.report.failed) out.push(`- ${run.target} run ${run.repeat}: ${JSON.stringify(run.report.failures)}`);
    out.push('', 'Real loads by box and model:', '');
    for (const run of r.runs) out.push(`- ${run.target} run ${run.repeat}: ${JSON.stringify(run.realLoads)}`);
  }
  return out.join('\n') + '\n';
}

runIfMain(import.meta.url, runPeers, (r) => {
  // A run that skipped everything (no real parts here) leaves the committed results alone.
  // A diagnosis run (--only) leaves them alone too.
  if (r.runs.length > 0 && !r.partial) writeResultFiles('peers', r, toMarkdown(r));
  return toMarkdown(r);
});
