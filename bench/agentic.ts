// Agentic workloads, warm-first against the baselines, side by side in one run.
//  1. Virtual time: the real scheduler core over the simulated world
//     (sidecar/scheduler/testing/agentic.ts): an orchestrator polling while
//     parallel sub-agents on two other models run, 4 rounds, 2 boxes holding
//     one model each, 1.5 s loads. Deterministic.
//  2. Live: the agentic burst of e2e/scheduling.test.ts (21 requests on three
//     models within 100 ms) through real Envoy and the sidecar in front of two
//     simulated llama-swap boxes, a fresh fleet per run, strategies
//     interleaved round by round so machine noise hits all alike.
// Reported as loads and makespan per strategy and as ratios to warm-first.
import type { Strategy } from '../sidecar/policy/schema.ts';
import { runAgentic, AGENTIC_SHAPE, type AgenticResult } from '../sidecar/scheduler/testing/agentic.ts';
import { startGateway } from '../e2e/harness.ts';
import { agenticBurst, burstPolicy, sendBurst, swapBox } from '../e2e/agentic-burst.ts';
import { commandLine, loadNow, machineInfo, type MachineInfo } from './lib/machine.ts';
import { runIfMain, writeResultFiles } from './lib/results.ts';

export const STRATEGIES: readonly Strategy[] = ['warm-first', 'fifo', 'least-connections', 'round-robin', 'aging-bonus'];

export interface LiveRun {
  strategy: Strategy;
  ok: number;
  failed: number;
  loads: number;
  makespanMs: number;
}

export interface AgenticBenchResult {
  benchmark: 'agentic';
  command: string;
  date: string;
  machine: MachineInfo;
  virtual: { shape: typeof AGENTIC_SHAPE; runs: AgenticResult[] };
  live: { rounds: number; requests: number; runs: LiveRun[][] };
}

async function liveRun(strategy: Strategy, trace: readonly string[]): Promise<LiveRun> {
  const gw = await startGateway({ sims: { a: swapBox(), b: swapBox() }, policy: burstPolicy(strategy, 10_000) });
  try {
    const t0 = Date.now();
    const statuses = (await sendBurst(gw.url, trace)).map((r) => r.status);
    const makespanMs = Date.now() - t0;
    return {
      strategy,
      ok: statuses.filter((s) => s === 200).length,
      failed: statuses.filter((s) => s !== 200).length,
      loads: Object.values(gw.sims).reduce((n, s) => n + s.stats().loads, 0),
      makespanMs,
    };
  } finally {
    await gw.stop();
  }
}

export async function run(opts: { liveRounds?: number; write?: boolean } = {}): Promise<AgenticBenchResult> {
  const machine = machineInfo();
  const virtual = { shape: AGENTIC_SHAPE, runs: STRATEGIES.map((s) => runAgentic(s)) };
  const rounds = opts.liveRounds ?? 3;
  const trace = agenticBurst(3);
  const live: LiveRun[][] = [];
  for (let r = 0; r < rounds; r++) {
    // Rotate the order each round so no strategy always runs first (or last) on a warming machine.
    const order = STRATEGIES.map((_, i) => STRATEGIES[(i + r) % STRATEGIES.length]!);
    const runs: LiveRun[] = [];
    for (const s of order) runs.push(await liveRun(s, trace));
    live.push(runs);
  }
  machine.loadavg1mAtEnd = loadNow();
  const result: AgenticBenchResult = {
    benchmark: 'agentic',
    command: commandLine('bench:agentic'),
    date: new Date().toISOString(),
    machine,
    virtual,
    live: { rounds, requests: trace.length, runs: live },
  };
  if (opts.write ?? true) writeResultFiles('agentic', result, toMarkdown(result));
  return result;
}

const median = (xs: readonly number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const ratio = (x: number, base: number) => (base > 0 ? (x / base).toFixed(2) : 'n/a');

export function toMarkdown(r: AgenticBenchResult): string {
  const m = r.machine;
  const lines = [
    '# Agentic workloads: warm-first vs baselines',
    '',
    `Command: \`${r.command}\` · date: ${r.date} · machine: ${m.cpu}, ${m.cores} cores, ${m.memoryGB} GB, ${m.platform}, Node ${m.node}, Envoy ${m.envoy} · load average ${m.loadavg1mAtStart.toFixed(2)} at start, ${(m.loadavg1mAtEnd ?? NaN).toFixed(2)} at end.`,
    '',
    '## Virtual time (real scheduler core, simulated world)',
    '',
    `Orchestrator turns of ${r.virtual.shape.orchestratorMs} ms, polls of ${r.virtual.shape.pollMs} ms every ${r.virtual.shape.pollEveryMs} ms while sub-agents run; ` +
      `${r.virtual.shape.subAgents.map((s) => `${s.count} × ${s.model}`).join(' + ')} sub-agents of ${r.virtual.shape.turns} turns × ${r.virtual.shape.turnMs} ms, ${r.virtual.shape.gapMs} ms tool gaps; ` +
      `${r.virtual.shape.rounds} rounds; ${r.virtual.shape.boxes} boxes holding one model each, ${r.virtual.shape.slots} slots, ${r.virtual.shape.loadMs} ms loads. Deterministic.`,
    '',
    '| strategy | requests | served | model loads | makespan (ms) | max queued (ms) | loads / warm-first | makespan / warm-first |',
    '|---|---|---|---|---|---|---|---|',
  ];
  const wv = r.virtual.runs.find((x) => x.strategy === 'warm-first')!;
  for (const x of r.virtual.runs)
    lines.push(`| ${x.strategy} | ${x.requests} | ${x.served} | ${x.loads} | ${Math.round(x.makespanMs)} | ${Math.round(x.maxQueuedMs)} | ${ratio(x.loads, wv.loads)} | ${ratio(x.makespanMs, wv.makespanMs)} |`);
  lines.push(
    '',
    `## Live: real Envoy, simulated llama-swap boxes (${r.live.requests} requests, ${r.live.rounds} rounds, order rotated each round)`,
    '',
    '| strategy | served / failed (all rounds) | model loads (median) | makespan ms (median) | loads / warm-first | makespan / warm-first |',
    '|---|---|---|---|---|---|',
  );
  const by = (s: Strategy) => r.live.runs.flatMap((round) => round.filter((x) => x.strategy === s));
  const wl = by('warm-first');
  const wLoads = median(wl.map((x) => x.loads));
  const wSpan = median(wl.map((x) => x.makespanMs));
  for (const s of STRATEGIES) {
    const xs = by(s);
    const loads = median(xs.map((x) => x.loads));
    const span = median(xs.map((x) => x.makespanMs));
    lines.push(`| ${s} | ${xs.reduce((n, x) => n + x.ok, 0)} / ${xs.reduce((n, x) => n + x.failed, 0)} | ${loads} | ${Math.round(span)} | ${ratio(loads, wLoads)} | ${ratio(span, wSpan)} |`);
  }
  lines.push('', 'Ratios above 1 mean the baseline needed more loads or more time than warm-first in the same run.', '');
  return lines.join('\n');
}

runIfMain(import.meta.url, () => run(), toMarkdown);
