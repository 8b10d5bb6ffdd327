// The exact oracle beside the strategies: for each committed trace whose
// fleet holds one model per box, the least makespan any schedule reaches with
// at most L loads, for L from the loads lower bound up to warm-first's loads
// (bench/oracle/solve.py, CP-SAT over the replay's own fleet model). It says
// what an oracle that knows the trace in advance gives up in time for each
// load it saves, which the lower bounds (sidecar/replay/lower-bound.ts) only
// bound from below. Writes bench/results/oracle.{md,json}.
//   npm run bench:oracle          (ORACLE_PYTHON: a python3 with OR-Tools; default python3)
// Without OR-Tools it says so and writes nothing.
import fc from 'fast-check';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Strategy } from '../sidecar/policy/schema.ts';
import type { ServerModel } from '../sidecar/replay/fleet-model.ts';
import { requestServiceMs } from '../sidecar/replay/fleet-model.ts';
import { readInputs, readTrace } from '../sidecar/replay/inputs.ts';
import { lowerBound } from '../sidecar/replay/lower-bound.ts';
import { reportOf, type RunReport } from '../sidecar/replay/report.ts';
import { agenticTrace, boxArb, oneModelFleet, roundArb } from '../sidecar/replay/testing/agentic-shaped.ts';
import { dependenciesOf, parseTrace, type Trace } from '../sidecar/replay/trace.ts';
import { replayVirtual } from '../sidecar/replay/virtual.ts';
import { commandLine, loadNow, machineInfo, type MachineInfo } from './lib/machine.ts';
import { calibratedFleet, shortenPrompts, type Calibration, type PeersResult } from './peers.ts';
import { runIfMain, writeResultFiles } from './lib/results.ts';

const DIR = fileURLToPath(new URL('./traces/', import.meta.url));
const SOLVER = fileURLToPath(new URL('./oracle/solve.py', import.meta.url));
const PEERS_RESULT = fileURLToPath(new URL('./results/peers.json', import.meta.url));
const PYTHON = process.env.ORACLE_PYTHON ?? 'python3';
const OURS: Strategy = 'warm-first';
/** Seconds CP-SAT may search per budget; past it the result is the best schedule found and a proven bound. */
const TIME_LIMIT_S = Number(process.env.ORACLE_TIME_LIMIT_S ?? 300);
/** The soundness check: random agentic-shaped traces, the seed fixing them. */
const CHECK_TRACES = Number(process.env.ORACLE_CHECK_TRACES ?? 60);
const CHECK_SEED = 0x0c1e;

/** What solve.py prints for one budget. */
export interface OracleAnswer {
  loads: number;
  status: 'optimal' | 'feasible' | 'infeasible' | 'unknown' | 'model_invalid';
  makespanMs: number | null;
  boundMs: number | null;
  solveS: number;
  loadsUsed?: number;
  segments: Array<{ box: string; model: string; loaded: boolean; loadStartMs: number; residentFromMs: number; residentToMs: number }>;
}

export interface OracleTrace {
  name: string;
  description: string;
  lowerBound: { loads: number; makespanMs: number };
  runs: Array<Pick<RunReport, 'label' | 'loads' | 'makespanMs' | 'failed'>>;
  oracle: OracleAnswer[];
}

export interface OracleResult {
  date: string;
  command: string;
  machine: MachineInfo;
  solver: string;
  timeLimitS: number;
  traces: OracleTrace[];
  check: SoundnessCheck;
  peers?: PeersOracle;
  /** Traces left out, and why. */
  skipped: string[];
}

/** The problem solve.py reads: the trace's requests with their service time on each box, and the boxes. */
export function oracleProblem(trace: Trace, fleet: readonly ServerModel[], maxLoads: number): unknown {
  const models = new Set(trace.requests.map((r) => r.model));
  const boxes = fleet.filter((s) => [...models].some((m) => s.models.has(m)));
  const longestLoad = Math.max(...boxes.flatMap((b) => [...b.models.values()].map((m) => m.loadMs + b.unloadMs)));
  const requests = trace.requests.map((r) => ({
    id: r.id,
    model: r.model,
    atMs: r.at_ms ?? null,
    after: [...dependenciesOf(r)],
    gapMs: r.gap_ms ?? 0,
    serviceMs: Object.fromEntries(boxes.filter((b) => b.models.has(r.model)).map((b) => [b.name, Math.ceil(requestServiceMs(b, r))])),
  }));
  // Long enough for everything one after another: arrivals, gaps, services and every load.
  const horizonMs = Math.ceil(
    Math.max(0, ...requests.map((r) => r.atMs ?? 0)) +
      requests.reduce((sum, r) => sum + r.gapMs + Math.max(...Object.values(r.serviceMs)), 0) +
      (maxLoads + boxes.length) * longestLoad,
  );
  return {
    horizonMs,
    boxes: boxes.map((b) => ({
      name: b.name,
      slots: b.slots,
      unloadMs: Math.ceil(b.unloadMs),
      warm: [...b.models.values()].find((m) => m.warmAtStart && models.has(m.name))?.name ?? null,
      loadMs: Object.fromEntries([...b.models.values()].filter((m) => models.has(m.name)).map((m) => [m.name, Math.ceil(m.loadMs)])),
    })),
    requests,
  };
}

/** Trace (a) as the committed bench:peers run timed the real parts, and warmroute's runs there. */
export interface PeersOracle {
  date: string;
  calibration: Calibration;
  lowerBoundMs: number;
  oracle: OracleAnswer[];
  runs: Array<{ repeat: number; loads: number; failed: number; makespanMs: number }>;
}

function peersOracle(): PeersOracle | undefined {
  if (!existsSync(PEERS_RESULT)) return undefined;
  const peers = JSON.parse(readFileSync(PEERS_RESULT, 'utf8')) as PeersResult;
  if (!peers.calibration) return undefined;
  const timed = calibratedFleet(shortenPrompts(readTrace(`${DIR}agentic.jsonl`)), peers.calibration);
  // The calibration times loads, not unloads: for a bound, unloading is free.
  const fleet = timed.fleet.map((s) => ({ ...s, unloadMs: 0 }));
  const runs = peers.runs.filter((r) => r.target === 'warmroute').map((r) => ({ repeat: r.repeat, loads: r.realLoadsTotal, failed: r.report.failed, makespanMs: r.report.makespanMs }));
  const lb = lowerBound(timed.trace, fleet);
  const top = Math.max(lb.loads, ...runs.map((r) => r.loads));
  const oracle: OracleAnswer[] = [];
  for (let loads = lb.loads; loads <= top; loads++) oracle.push(solve(oracleProblem(timed.trace, fleet, top), loads));
  return { date: peers.date, calibration: peers.calibration, lowerBoundMs: lb.makespanMs, oracle, runs };
}

/**
 * The oracle against the replay itself: on random agentic-shaped traces over
 * one-model boxes, for each count of loads some strategy made, the fewest-
 * makespan strategy run with that count must not beat the oracle given that
 * many loads, and the oracle must not beat the lower bound. A breach would
 * mean the search's model of the fleet misses something the replay does.
 */
export interface SoundnessCheck {
  traces: number;
  seed: number;
  /** (trace, count of loads) pairs compared. */
  checked: number;
  /** The oracle above a strategy's makespan with as many loads (beyond 1 ms per request of rounding). */
  beatenByStrategy: number;
  /** The oracle below the lower bound's makespan. */
  belowLowerBound: number;
  /** The best strategy's makespan ÷ the oracle's, over the pairs the search proved optimal. */
  ratio: { min: number; median: number; max: number };
}

function soundnessCheck(): SoundnessCheck {
  const cases = fc.sample(fc.tuple(fc.array(boxArb, { minLength: 1, maxLength: 3 }), fc.array(roundArb, { minLength: 2, maxLength: 4 }), fc.integer({ min: 0, max: 300 })), { numRuns: CHECK_TRACES, seed: CHECK_SEED });
  const check: SoundnessCheck = { traces: 0, seed: CHECK_SEED, checked: 0, beatenByStrategy: 0, belowLowerBound: 0, ratio: { min: 0, median: 0, max: 0 } };
  const ratios: number[] = [];
  for (const [boxes, rounds, planGap] of cases) {
    const { policy, fleet } = oneModelFleet(boxes);
    const trace = parseTrace(agenticTrace(rounds, planGap));
    if (trace.requests.some((r) => !fleet.some((s) => s.models.has(r.model)))) continue;
    check.traces++;
    const fastest = new Map<number, number>();
    for (const s of Strategy.options) {
      const r = reportOf(replayVirtual(trace, policy, fleet, s));
      if (r.failed === 0 && r.loads !== null) fastest.set(r.loads, Math.min(fastest.get(r.loads) ?? Infinity, r.makespanMs));
    }
    const lb = lowerBound(trace, fleet);
    const slack = trace.requests.length;
    for (const [loads, makespan] of fastest) {
      const a = solve(oracleProblem(trace, fleet, loads), loads, 30);
      const floor = a.status === 'optimal' ? a.makespanMs : a.boundMs;
      if (floor === null) continue;
      check.checked++;
      if (floor > makespan + slack) check.beatenByStrategy++;
      if (a.status === 'optimal' && floor < lb.makespanMs - slack) check.belowLowerBound++;
      if (a.status === 'optimal') ratios.push(makespan / floor);
    }
  }
  ratios.sort((x, y) => x - y);
  check.ratio = { min: ratios[0] ?? 0, median: ratios[ratios.length >> 1] ?? 0, max: ratios.at(-1) ?? 0 };
  return check;
}

function oracleAvailable(): string | undefined {
  const r = spawnSync(PYTHON, ['-c', 'import ortools; print(ortools.__version__)'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

function solve(problem: unknown, loads: number, timeLimitS = TIME_LIMIT_S): OracleAnswer {
  const r = spawnSync(PYTHON, [SOLVER, '--loads', String(loads), '--time-limit', String(timeLimitS)], { input: JSON.stringify(problem), encoding: 'utf8', maxBuffer: 64 * 2 ** 20 });
  if (r.status !== 0) throw new Error(`solve.py --loads ${loads} failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as OracleAnswer;
}

export async function runOracle(): Promise<OracleResult | undefined> {
  const version = oracleAvailable();
  if (!version) {
    console.error(`bench:oracle: skipped, ${PYTHON} has no OR-Tools (pip install ortools, or set ORACLE_PYTHON)`);
    return undefined;
  }
  const machine = machineInfo();
  const traces: OracleTrace[] = [];
  const skipped: string[] = [];
  for (const file of readdirSync(DIR).filter((f) => f.endsWith('.jsonl')).sort()) {
    const base = `${DIR}${file.replace(/\.jsonl$/, '')}`;
    const { trace, policy, fleet } = readInputs(`${base}.jsonl`, `${base}.policy.yaml`, `${base}.fleet.yaml`);
    const used = fleet.filter((s) => trace.requests.some((r) => s.models.has(r.model)));
    if (used.some((s) => s.maxLoaded !== 1)) {
      skipped.push(`${trace.name}: a box holds more than one model at once (the oracle models one-model boxes)`);
      continue;
    }
    if (!trace.requests.some((r) => dependenciesOf(r).length > 0)) {
      skipped.push(`${trace.name}: no closed loops (every request has its arrival time; the lower bound is the reference there)`);
      continue;
    }
    const runs = Strategy.options.map((s) => reportOf(replayVirtual(trace, policy, fleet, s)));
    const ours = runs.find((r) => r.label === OURS)!;
    const lb = lowerBound(trace, fleet);
    const top = Math.max(lb.loads, ours.loads ?? lb.loads);
    const oracle: OracleAnswer[] = [];
    for (let loads = lb.loads; loads <= top; loads++) {
      const answer = solve(oracleProblem(trace, fleet, top), loads);
      console.error(`bench:oracle: ${trace.name}, at most ${loads} loads: ${answer.status}, ${answer.makespanMs ?? '–'} ms (bound ${answer.boundMs ?? '–'} ms, ${answer.solveS} s)`);
      oracle.push(answer);
    }
    traces.push({
      name: trace.name,
      description: trace.description ?? '',
      lowerBound: { loads: lb.loads, makespanMs: lb.makespanMs },
      runs: runs.map((r) => ({ label: r.label, loads: r.loads, makespanMs: r.makespanMs, failed: r.failed })),
      oracle,
    });
  }
  const peers = peersOracle();
  const check = soundnessCheck();
  console.error(`bench:oracle: soundness check: ${JSON.stringify(check)}`);
  machine.loadavg1mAtEnd = loadNow();
  return { date: new Date().toISOString(), command: commandLine('bench:oracle'), machine, solver: `OR-Tools CP-SAT ${version}`, timeLimitS: TIME_LIMIT_S, traces, check, ...(peers ? { peers } : {}), skipped };
}

const s = (ms: number | null): string => (ms === null ? '–' : (ms / 1000).toFixed(1));

/** The oracle's least makespan with at most `loads` loads (its proven bound when the search was cut short). */
function oracleAt(t: OracleTrace, loads: number | null): OracleAnswer | undefined {
  if (loads === null) return undefined;
  return [...t.oracle].reverse().find((a) => a.loads <= loads);
}

function traceSection(t: OracleTrace): string[] {
  const best = t.runs.filter((r) => r.label !== OURS && r.failed === 0).sort((a, b) => a.makespanMs - b.makespanMs)[0];
  const out = [
    `## ${t.name}`,
    '',
    t.description,
    '',
    `Lower bound (sidecar/replay/lower-bound.ts): ${t.lowerBound.loads} loads, makespan ${s(t.lowerBound.makespanMs)} s. Best baseline by makespan: ${best ? `${best.label}, ${best.loads} loads, ${s(best.makespanMs)} s` : '–'}.`,
    '',
    '| at most this many loads | oracle’s least makespan (s) | proven optimal | search (s) | the oracle’s schedule |',
    '|---|---|---|---|---|',
  ];
  for (const a of t.oracle) {
    const plan = a.segments.map((g) => `${g.box}: ${g.model} ${s(g.residentFromMs)}–${s(g.residentToMs)}`).join('; ');
    out.push(`| ${a.loads} | ${s(a.makespanMs)}${a.status === 'optimal' ? '' : ` (bound ${s(a.boundMs)})`} | ${a.status === 'optimal' ? 'yes' : a.status} | ${a.solveS} | ${plan} |`);
  }
  const most = t.oracle.at(-1)?.loads;
  out.push('', `| strategy | loads | makespan (s) | oracle with at most as many loads (up to ${most}) (s) | makespan ÷ oracle |`, '|---|---|---|---|---|');
  for (const r of t.runs) {
    const o = oracleAt(t, r.loads);
    // Where the search was cut short, its proven bound is what a strategy is measured against.
    const floor = o ? (o.status === 'optimal' ? o.makespanMs : o.boundMs) : null;
    out.push(`| ${r.label === OURS ? `**${r.label}**` : r.label} | ${r.loads} | ${s(r.makespanMs)} | ${floor === null ? '–' : o?.status === 'optimal' ? s(floor) : `≥ ${s(floor)}`} | ${floor ? (r.makespanMs / floor).toFixed(2) : '–'} |`);
  }
  if (best) {
    // Service times are whole milliseconds in the search (rounded up): a tolerance of 0.1 % for that.
    const enough = t.oracle.find((a) => a.makespanMs !== null && a.makespanMs <= best.makespanMs * 1.001);
    out.push(
      '',
      enough
        ? `Fewest loads with which the oracle is no slower than the best baseline (${s(best.makespanMs)} s): **${enough.loads}** (${s(enough.makespanMs)} s).`
        : `With at most ${t.oracle.at(-1)?.loads} loads the oracle is slower than the best baseline (${s(best.makespanMs)} s).`,
    );
  }
  return [...out, ''];
}

function peersSection(p: PeersOracle): string[] {
  const c = p.calibration;
  const out = [
    '## Trace (a) on real parts, as bench:peers timed them',
    '',
    `The figures the committed bench:peers run (${p.date}, bench/results/peers.json) measured on the real llama-swap boxes (a load ${c.loadMs} ms, ${c.tokensPerSec} tokens/s, first token ${c.ttftMs} ms, prompt processing ${c.prefillMsPerToken.toFixed(3)} ms per token), with unloading taken as free (the calibration times loads only), so the oracle is a lower bound for those parts as the replay models them (each request its measured service time). Lower bound: ${s(p.lowerBoundMs)} s.`,
    '',
    '| at most this many loads | oracle’s least makespan (s) | proven optimal | the oracle’s schedule |',
    '|---|---|---|---|',
    ...p.oracle.map((a) => `| ${a.loads} | ${s(a.makespanMs)}${a.status === 'optimal' ? '' : ` (bound ${s(a.boundMs)})`} | ${a.status === 'optimal' ? 'yes' : a.status} | ${a.segments.map((g) => `${g.box}: ${g.model} ${s(g.residentFromMs)}–${s(g.residentToMs)}`).join('; ')} |`),
    '',
    '| warmroute run | real loads | failed | makespan (s) | ÷ oracle with at most as many loads |',
    '|---|---|---|---|---|',
  ];
  for (const r of p.runs) {
    const o = [...p.oracle].reverse().find((a) => a.loads <= r.loads);
    const floor = o ? (o.status === 'optimal' ? o.makespanMs : o.boundMs) : null;
    out.push(`| ${r.repeat} | ${r.loads} | ${r.failed} | ${s(r.makespanMs)} | ${floor ? (r.makespanMs / floor).toFixed(2) : '–'} |`);
  }
  return [...out, ''];
}

export function oracleMarkdown(r: OracleResult): string {
  const m = r.machine;
  return [
    '# The exact oracle beside the strategies',
    '',
    `- Date: ${r.date}`,
    `- Command: \`${r.command}\` (${r.solver}, at most ${r.timeLimitS} s per budget)`,
    `- Machine: ${m.cpu}, ${m.cores} cores, ${m.memoryGB} GB; ${m.platform}; Node ${m.node}; load average (1 min) at start ${m.loadavg1mAtStart}, at end ${m.loadavg1mAtEnd}`,
    '- Method: bench/oracle/solve.py searches every schedule of the replay’s fleet model (one model per box; loads, unloads, slots, arrivals, dependencies and gaps as in virtual time) for the least makespan with at most so many loads. An oracle that knows the trace in advance reaches it; no strategy with that many loads or fewer can finish sooner. The strategies’ figures are the same virtual-time replays as bench:traces. docs/traces.md explains the model.',
    ...(r.skipped.length > 0 ? ['', 'Left out:', ...r.skipped.map((x) => `- ${x}`)] : []),
    '',
    ...r.traces.flatMap(traceSection),
    ...(r.peers ? peersSection(r.peers) : []),
    '## Soundness check',
    '',
    `${r.check.traces} random agentic-shaped traces over one to three one-model boxes (sidecar/replay/testing/agentic-shaped.ts, seed ${r.check.seed}), every strategy replayed in virtual time. For each count of loads some strategy made, the fastest such run against the oracle given that many loads: ${r.check.checked} pairs; **${r.check.beatenByStrategy}** where a strategy beat the oracle, **${r.check.belowLowerBound}** where the oracle was below the lower bound (both must be 0). The fastest strategy ÷ the oracle: min ${r.check.ratio.min.toFixed(2)}, median ${r.check.ratio.median.toFixed(2)}, max ${r.check.ratio.max.toFixed(2)}.`,
    '',
  ].join('\n');
}

runIfMain(import.meta.url, runOracle, (r) => {
  if (!r) return '';
  writeResultFiles('oracle', r, oracleMarkdown(r));
  return oracleMarkdown(r);
});
