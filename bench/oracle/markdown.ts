// bench/results/oracle.md: per trace, the oracle's least makespan per budget
// of loads beside every strategy; trace (a) as bench:peers timed the real
// parts; the soundness check.
import type { Strategy } from '../../sidecar/policy/schema.ts';
import type { RunReport } from '../../sidecar/replay/report.ts';
import { machineLine, type MachineInfo } from '../lib/machine.ts';
import type { PeersOracle } from './peers.ts';
import { provenFloorMs, type OracleAnswer } from './problem.ts';
import type { SoundnessCheck } from './soundness.ts';

const OURS: Strategy = 'warm-first';

export interface OracleTrace {
  name: string;
  description: string;
  lowerBound: { loads: number; makespanMs: number };
  runs: Array<Pick<RunReport, 'label' | 'loads' | 'makespanMs' | 'failed'>>;
  oracle: OracleAnswer[];
  /** The same budgets, for schedules that start a load only while a request for it waits. */
  demandDriven: OracleAnswer[];
}

/** The fewest loads within the wait bound, where warm-first loads more than LB-w. */
export interface LoadsWithinWait {
  name: string;
  waitBoundMs: number;
  lowerBoundLoads: number;
  lbwLoads: number;
  ours: { loads: number; maxWaitMs: number };
  answer: OracleAnswer;
  /** With every wait within warm-first's own longest wait. */
  sameWait: OracleAnswer;
}

export interface OracleResult {
  date: string;
  command: string;
  machine: MachineInfo;
  solver: string;
  timeLimitS: number;
  traces: OracleTrace[];
  withinWait: LoadsWithinWait[];
  check: SoundnessCheck;
  peers?: PeersOracle;
  /** Traces left out, and why. */
  skipped: string[];
}

const s = (ms: number | null): string => (ms === null ? '–' : (ms / 1000).toFixed(1));

/** The answer for the largest budget up to `loads`: the oracle with at most that many loads. */
function oracleWithin(answers: readonly OracleAnswer[], loads: number | null): OracleAnswer | undefined {
  if (loads === null) return undefined;
  return [...answers].reverse().find((a) => a.loads !== null && a.loads <= loads);
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
    'Loading on demand: only schedules in which every load starts while a request for that model has been released and waits, as every strategy here (pre-warm and hedges included) and every peer loads.',
    '',
    '| at most this many loads | oracle’s least makespan (s) | proven optimal | loading on demand (s) | proven optimal | the oracle’s schedule |',
    '|---|---|---|---|---|---|',
  ];
  const optimal = (a: OracleAnswer | undefined): string => (!a ? '–' : a.status === 'optimal' ? 'yes' : a.status);
  const least = (a: OracleAnswer | undefined): string => (!a ? '–' : `${s(a.makespanMs)}${a.status === 'optimal' ? '' : ` (bound ${s(a.boundMs)})`}`);
  for (const [i, a] of t.oracle.entries()) {
    const plan = a.segments.map((g) => `${g.box}: ${g.model} ${s(g.residentFromMs)}–${s(g.residentToMs)}`).join('; ');
    const d = t.demandDriven[i];
    out.push(`| ${a.loads} | ${least(a)} | ${optimal(a)} | ${least(d)} | ${optimal(d)} | ${plan} |`);
  }
  const most = t.oracle.at(-1)?.loads;
  out.push('', `| strategy | loads | makespan (s) | oracle with at most as many loads (up to ${most}) (s) | makespan ÷ oracle |`, '|---|---|---|---|---|');
  for (const r of t.runs) {
    const o = oracleWithin(t.oracle, r.loads);
    // Where the search was cut short, its proven bound is what a strategy is measured against.
    const floor = o ? provenFloorMs(o) : null;
    out.push(`| ${r.label === OURS ? `**${r.label}**` : r.label} | ${r.loads} | ${s(r.makespanMs)} | ${floor === null ? '–' : o?.status === 'optimal' ? s(floor) : `≥ ${s(floor)}`} | ${floor ? (r.makespanMs / floor).toFixed(2) : '–'} |`);
  }
  if (best) {
    // Service times are whole milliseconds in the search (rounded up): a tolerance of 0.1 % for that.
    const noSlower = (answers: readonly OracleAnswer[]) => answers.find((a) => a.makespanMs !== null && a.makespanMs <= best.makespanMs * 1.001);
    const enough = noSlower(t.oracle);
    const onDemand = noSlower(t.demandDriven);
    out.push(
      '',
      enough
        ? `Fewest loads with which the oracle is no slower than the best baseline (${s(best.makespanMs)} s): **${enough.loads}** (${s(enough.makespanMs)} s); loading on demand: ${onDemand ? `**${onDemand.loads}** (${s(onDemand.makespanMs)} s)` : `more than ${t.demandDriven.at(-1)?.loads}`}.`
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
    const o = oracleWithin(p.oracle, r.loads);
    const floor = o ? provenFloorMs(o) : null;
    out.push(`| ${r.repeat} | ${r.loads} | ${r.failed} | ${s(r.makespanMs)} | ${floor ? (r.makespanMs / floor).toFixed(2) : '–'} |`);
  }
  return [...out, ''];
}

/** A proven lower bound on the fewest loads an answer's question allows. */
function loadsFloor(a: OracleAnswer): number {
  return (a.status === 'optimal' ? a.loads : a.boundLoads) ?? 0;
}

function withinWaitSection(rows: readonly LoadsWithinWait[]): string[] {
  if (rows.length === 0) return [];
  const runnable = (a: OracleAnswer): boolean => a.oneCopyPerBox !== false;
  const out = [
    '## Fewest loads with every wait within a bound',
    '',
    `Where ${OURS} loads more than LB-w: the fewest loads of any schedule in which no request waits longer than the wait bound (the aging bound plus the longest load), and than ${OURS}'s own longest wait; searched over the trace's whole fleet model (boxes holding several models included). In brackets: the longest wait in the oracle's schedule. Within ${OURS}'s longest wait the fewest loads are at least those within the wider bound; where the search there stopped at its time limit, the range runs from that to the fewest in a schedule a server could run that it found, or ${OURS}'s own.`,
    '',
    `| trace | LB | LB-w | wait bound (s) | oracle’s fewest loads within it | ${OURS} loads | ${OURS} longest wait (s) | oracle’s fewest loads within that | ${OURS} ÷ oracle, same longest wait |`,
    '|---|---|---|---|---|---|---|---|---|',
  ];
  for (const w of rows) {
    const wide = w.answer;
    const within = wide.status === 'optimal' ? `${wide.loads} (${s(wide.maxWaitMs)} s)` : `≥ ${loadsFloor(wide)}`;
    const same = w.sameWait;
    const floor = Math.max(loadsFloor(same), loadsFloor(wide));
    // warm-first's own run is a schedule within its own longest wait: the fewest are at most its loads.
    const found = same.loads !== null && runnable(same) ? Math.min(same.loads, w.ours.loads) : w.ours.loads;
    const exact = found === floor;
    const sameText = exact ? `${floor}${found === same.loads ? ` (${s(same.maxWaitMs)} s)` : ''}` : `${floor}–${found}`;
    const ratio = floor > 0 ? `${exact ? '' : '≤ '}${(w.ours.loads / floor).toFixed(2)}` : '–';
    out.push(`| ${w.name} | ${w.lowerBoundLoads} | ${w.lbwLoads} | ${s(w.waitBoundMs)} | ${within} | ${w.ours.loads} | ${s(w.ours.maxWaitMs)} | ${sameText} | ${ratio} |`);
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
    machineLine(m),
    '- Method: bench/oracle/solve.py searches every schedule of the replay’s fleet model (the boxes’ model limits, loads one at a time per box, unloads, slots, arrivals, dependencies and gaps as in virtual time): for the least makespan with at most so many loads, and for the fewest loads with every wait within a bound. An oracle that knows the trace in advance reaches the answers; no strategy can do better on the same terms. The strategies’ figures are the same virtual-time replays as bench:traces. docs/traces.md explains the model.',
    ...(r.skipped.length > 0 ? ['', 'Left out:', ...r.skipped.map((x) => `- ${x}`)] : []),
    '',
    ...r.traces.flatMap(traceSection),
    ...withinWaitSection(r.withinWait),
    ...(r.peers ? peersSection(r.peers) : []),
    '## Soundness check',
    '',
    `${r.check.traces} random agentic-shaped traces over one to three one-model boxes (sidecar/replay/testing/agentic-shaped.ts, seed ${r.check.seed}), every strategy replayed in virtual time. For each count of loads some strategy made, the fastest such run against the oracle given that many loads: ${r.check.checked} pairs; **${r.check.beatenByStrategy}** where a strategy beat the oracle, **${r.check.belowLowerBound}** where the oracle was below the lower bound (both must be 0). Loads: ${r.check.loadsChecked} runs (warm-first and fifo) against the oracle's fewest loads with every wait within the run's own longest wait: **${r.check.fewerLoadsThanOracle}** with fewer loads (must be 0). The fastest strategy ÷ the oracle: min ${r.check.ratio.min.toFixed(2)}, median ${r.check.ratio.median.toFixed(2)}, max ${r.check.ratio.max.toFixed(2)}.`,
    '',
  ].join('\n');
}
