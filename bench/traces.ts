// Every committed trace (bench/traces/*.jsonl, each with its .policy.yaml and
// .fleet.yaml) × every strategy, in virtual time, side by side with the
// trace's lower bound. Writes bench/results/traces.{md,json}.
//   npm run bench:traces
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Strategy } from '../sidecar/policy/schema.ts';
import { readInputs } from '../sidecar/replay/inputs.ts';
import { defaultWaitBoundMs, lowerBound, type LowerBound } from '../sidecar/replay/lower-bound.ts';
import { reportOf, type RunReport } from '../sidecar/replay/report.ts';
import { fleetInfo, traceInfo, type ReplaySummary } from '../sidecar/replay/summary.ts';
import { replayVirtual } from '../sidecar/replay/virtual.ts';
import { commandLine, loadNow, machineInfo, type MachineInfo, machineLine } from './lib/machine.ts';
import { runIfMain, writeResultFiles } from './lib/results.ts';

const DIR = fileURLToPath(new URL('./traces/', import.meta.url));
const OURS: Strategy = 'warm-first';

export interface TracesResult {
  date: string;
  command: string;
  machine: MachineInfo;
  runTimeS: number;
  traces: Array<ReplaySummary & { agingBoundMs: number }>;
}

export async function runTraces(): Promise<TracesResult> {
  const machine = machineInfo();
  const started = performance.now();
  const traces: TracesResult['traces'] = [];
  for (const file of readdirSync(DIR).filter((f) => f.endsWith('.jsonl')).sort()) {
    const base = `${DIR}${file.replace(/\.jsonl$/, '')}`;
    const { trace, policy, fleet } = readInputs(`${base}.jsonl`, `${base}.policy.yaml`, `${base}.fleet.yaml`);
    const runs = Strategy.options.map((s) => reportOf(replayVirtual(trace, policy, fleet, s)));
    traces.push({ trace: traceInfo(trace), mode: 'virtual', fleet: fleetInfo(fleet), lowerBound: lowerBound(trace, fleet, defaultWaitBoundMs(policy.scheduler.aging_ms, fleet)), runs, agingBoundMs: policy.scheduler.aging_ms });
  }
  machine.loadavg1mAtEnd = loadNow();
  return { date: new Date().toISOString(), command: commandLine('bench:traces'), machine, runTimeS: Number(((performance.now() - started) / 1000).toFixed(1)), traces };
}

const s = (ms: number): string => (ms / 1000).toFixed(ms < 10_000 ? 2 : 1);
const x = (v: number | null, bound: number | undefined): string => (v === null || !bound ? '–' : (v / bound).toFixed(2));

const queueMax = (r: RunReport): number => r.queueMs?.max ?? 0;

/** Loads ÷ the bound for schedules within the wait bound: only for a run that stayed within it ('–' otherwise). */
function xWithinWait(r: RunReport, lb: LowerBound): string {
  const w = lb.withinWait;
  if (!w || r.waitMs.max > w.waitBoundMs) return '–';
  return x(r.loads, w.loads);
}

function bestBaseline(runs: readonly RunReport[], key: (r: RunReport) => number): RunReport | undefined {
  return runs.filter((r) => r.label !== OURS && r.failed === 0).sort((a, b) => key(a) - key(b))[0];
}

function traceSection(t: TracesResult['traces'][number]): string[] {
  const lb: LowerBound = t.lowerBound!;
  const out = [
    `## ${t.trace.name}`,
    '',
    t.trace.description,
    '',
    `${t.trace.requests} requests (${t.trace.byArrival} by arrival time, ${t.trace.byDependency} after others). Fleet: ${t.fleet!.join('; ')}.`,
    '',
    `Lower bound: **${lb.loads} loads** (${lb.coldModels} models cold at the start${lb.loads > lb.coldModels ? '; closed loops force the rest through the fleet\'s model capacity' : ''}), **makespan ${s(lb.makespanMs)} s** (critical path ${s(lb.criticalPathMs)} s, work / slots ${s(lb.workMs)} s${lb.turnsMs > 0 ? `, turns on one-model boxes ${s(lb.turnsMs)} s` : ''}).` +
      (lb.withinWait ? ` For schedules in which no request waits more than ${s(lb.withinWait.waitBoundMs)} s (the aging bound plus the longest load): **${lb.withinWait.loads} loads** (LB-w).` : ''),
    '',
    '| strategy | loads | loads ÷ LB | loads ÷ LB-w | failed | wait p50 (s) | p90 | max | sidecar queue max (s) | ÷ aging bound | makespan (s) | makespan ÷ LB | replay (ms) | × real time |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const r of t.runs)
    out.push(
      `| ${r.label === OURS ? `**${r.label}**` : r.label} | ${r.loads} | ${x(r.loads, lb.loads)} | ${xWithinWait(r, lb)} | ${r.failed}${r.failed ? ` (${Object.entries(r.failures).map(([c, n]) => `${c} ${n}`).join(', ')})` : ''} | ${s(r.waitMs.p50)} | ${s(r.waitMs.p90)} | ${s(r.waitMs.max)} | ${s(queueMax(r))} | ${(queueMax(r) / t.agingBoundMs).toFixed(2)} | ${s(r.makespanMs)} | ${x(r.makespanMs, lb.makespanMs)} | ${r.wallMs} | ${r.wallMs > 0 ? Math.round(r.makespanMs / r.wallMs) : '–'} |`,
    );
  return [...out, ''];
}

function summaryRows(result: TracesResult): string[] {
  const out = [
    `| trace | ${OURS} loads ÷ fewest-loads baseline | ${OURS} makespan ÷ shortest-makespan baseline | ${OURS} loads ÷ LB | ${OURS} loads ÷ LB-w | ${OURS} makespan ÷ LB | ${OURS} failed | ${OURS} longest sidecar queue wait ÷ aging bound |`,
    '|---|---|---|---|---|---|---|---|',
  ];
  for (const t of result.traces) {
    const ours = t.runs.find((r) => r.label === OURS);
    if (!ours) continue;
    const fewest = bestBaseline(t.runs, (r) => r.loads ?? Infinity);
    const fastest = bestBaseline(t.runs, (r) => r.makespanMs);
    const vs = (a: number | null, b: number | null | undefined, who: string | undefined): string => (a === null || !b ? '–' : `${(a / b).toFixed(2)} (${who})`);
    out.push(
      `| ${t.trace.name} | ${vs(ours.loads, fewest?.loads, fewest?.label)} | ${vs(ours.makespanMs, fastest?.makespanMs, fastest?.label)} | ${x(ours.loads, t.lowerBound!.loads)} | ${xWithinWait(ours, t.lowerBound!)} | ${x(ours.makespanMs, t.lowerBound!.makespanMs)} | ${ours.failed} | ${(queueMax(ours) / t.agingBoundMs).toFixed(2)} |`,
    );
  }
  return out;
}

export function tracesMarkdown(r: TracesResult): string {
  const m = r.machine;
  return [
    '# Trace replay in virtual time: every committed trace × every strategy',
    '',
    `- Date: ${r.date}`,
    `- Command: \`${r.command}\` (run time ${r.runTimeS} s)`,
    machineLine(m),
    '- Method: `warmroute replay` in virtual time (sidecar/replay/): the real scheduler core and Datastore against the simulated fleet’s load/eviction/slot model; deterministic (the same inputs give the same figures on any machine; only "replay (ms)" depends on the machine). Traces, fleets and policies: bench/traces/. Lower bound (LB), and LB-w, the loads bound for schedules in which nobody waits longer than the aging bound plus the longest load: docs/traces.md. Wait = arrival → start of generation (sidecar queue + model load + the server’s slot queue); the aging bound (policy `scheduler.aging_ms`, 30 s) governs the sidecar queue part. Ratios < 1 mean better than the reference.',
    '',
    '## Summary',
    '',
    ...summaryRows(r),
    '',
    ...r.traces.flatMap(traceSection),
  ].join('\n');
}

runIfMain(import.meta.url, runTraces, (r) => {
  writeResultFiles('traces', r, tracesMarkdown(r));
  return tracesMarkdown(r);
});
