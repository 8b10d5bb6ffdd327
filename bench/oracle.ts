// The exact oracle beside the strategies: for each committed trace with closed
// loops whose fleet holds one model per box, the least makespan any schedule
// reaches with at most L loads, for L from the loads lower bound up to
// warm-first's loads (oracle/solve.py, CP-SAT over the replay's own fleet
// model). It says what an oracle that knows the trace in advance gives up in
// time for each load it saves, which the lower bounds
// (sidecar/replay/lower-bound.ts) only bound from below. Also trace (a) as
// bench:peers timed the real parts, and a soundness check against the replay.
// Writes bench/results/oracle.{md,json}.
//   npm run bench:oracle          (ORACLE_PYTHON: a python3 with OR-Tools; default python3)
// Without OR-Tools it says so and writes nothing.
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Strategy } from '../sidecar/policy/schema.ts';
import { readInputs } from '../sidecar/replay/inputs.ts';
import { defaultWaitBoundMs, lowerBound } from '../sidecar/replay/lower-bound.ts';
import { reportOf } from '../sidecar/replay/report.ts';
import { dependenciesOf } from '../sidecar/replay/trace.ts';
import { replayVirtual } from '../sidecar/replay/virtual.ts';
import { commandLine, loadNow, machineInfo } from './lib/machine.ts';
import { runIfMain, writeResultFiles } from './lib/results.ts';
import { oracleMarkdown, type LoadsWithinWait, type OracleResult, type OracleTrace } from './oracle/markdown.ts';
import { peersOracle } from './oracle/peers.ts';
import { oracleProblem, type OracleAnswer } from './oracle/problem.ts';
import { fewestLoads, oracleAvailable, PYTHON, solve, TIME_LIMIT_S } from './oracle/solver.ts';
import { soundnessCheck } from './oracle/soundness.ts';

const DIR = fileURLToPath(new URL('./traces/', import.meta.url));
const OURS: Strategy = 'warm-first';

export async function runOracle(): Promise<OracleResult | undefined> {
  const version = oracleAvailable();
  if (!version) {
    console.error(`bench:oracle: skipped, ${PYTHON} has no OR-Tools (pip install ortools, or set ORACLE_PYTHON)`);
    return undefined;
  }
  const machine = machineInfo();
  const traces: OracleTrace[] = [];
  const withinWait: LoadsWithinWait[] = [];
  const skipped: string[] = [];
  for (const file of readdirSync(DIR).filter((f) => f.endsWith('.jsonl')).sort()) {
    const base = `${DIR}${file.replace(/\.jsonl$/, '')}`;
    const { trace, policy, fleet } = readInputs(`${base}.jsonl`, `${base}.policy.yaml`, `${base}.fleet.yaml`);
    const runs = Strategy.options.map((s) => reportOf(replayVirtual(trace, policy, fleet, s)));
    const ours = runs.find((r) => r.label === OURS)!;
    const waitBoundMs = defaultWaitBoundMs(policy.scheduler.aging_ms, fleet);
    const lb = lowerBound(trace, fleet, waitBoundMs);
    // Where warm-first loads more than LB-w: the fewest loads any schedule makes with every wait within the bound,
    // and within warm-first's own longest wait (the same envelope).
    if (ours.loads !== null && lb.withinWait && ours.loads > lb.withinWait.loads) {
      const problem = oracleProblem(trace, fleet, ours.loads);
      const [answer, sameWait] = [waitBoundMs, Math.ceil(ours.waitMs.max)].map((waitMs) => {
        const a = fewestLoads(problem, waitMs, ours.loads!);
        console.error(`bench:oracle: ${trace.name}, fewest loads with waits within ${waitMs} ms: ${a.status}, ${a.loads ?? '–'} (bound ${a.boundLoads ?? '–'}, ${a.solveS} s)`);
        return a;
      }) as [OracleAnswer, OracleAnswer];
      withinWait.push({ name: trace.name, waitBoundMs, lowerBoundLoads: lb.loads, lbwLoads: lb.withinWait.loads, ours: { loads: ours.loads, maxWaitMs: ours.waitMs.max }, answer, sameWait });
    }
    const used = fleet.filter((s) => trace.requests.some((r) => s.models.has(r.model)));
    if (used.some((s) => s.maxLoaded !== 1)) {
      skipped.push(`${trace.name}: a box holds more than one model at once (the oracle models one-model boxes)`);
      continue;
    }
    if (!trace.requests.some((r) => dependenciesOf(r).length > 0)) {
      skipped.push(`${trace.name}: no closed loops (every request has its arrival time; the lower bound is the reference there)`);
      continue;
    }
    const top = Math.max(lb.loads, ours.loads ?? lb.loads);
    const problem = oracleProblem(trace, fleet, top);
    const oracle: OracleAnswer[] = [];
    const demandDriven: OracleAnswer[] = [];
    for (let loads = lb.loads; loads <= top; loads++) {
      const answer = solve(problem, loads);
      const onDemand = solve(problem, loads, TIME_LIMIT_S, true);
      console.error(`bench:oracle: ${trace.name}, at most ${loads} loads: ${answer.status}, ${answer.makespanMs ?? '–'} ms (bound ${answer.boundMs ?? '–'} ms, ${answer.solveS} s); loading only on demand: ${onDemand.status}, ${onDemand.makespanMs ?? '–'} ms`);
      oracle.push(answer);
      demandDriven.push(onDemand);
    }
    traces.push({
      name: trace.name,
      description: trace.description ?? '',
      lowerBound: { loads: lb.loads, makespanMs: lb.makespanMs },
      runs: runs.map((r) => ({ label: r.label, loads: r.loads, makespanMs: r.makespanMs, failed: r.failed })),
      oracle,
      demandDriven,
    });
  }
  const peers = peersOracle();
  const check = soundnessCheck();
  console.error(`bench:oracle: soundness check: ${JSON.stringify(check)}`);
  machine.loadavg1mAtEnd = loadNow();
  return { date: new Date().toISOString(), command: commandLine('bench:oracle'), machine, solver: `OR-Tools CP-SAT ${version}`, timeLimitS: TIME_LIMIT_S, traces, withinWait, check, ...(peers ? { peers } : {}), skipped };
}

runIfMain(import.meta.url, runOracle, (r) => {
  if (!r) return '';
  writeResultFiles('oracle', r, oracleMarkdown(r));
  return oracleMarkdown(r);
});
