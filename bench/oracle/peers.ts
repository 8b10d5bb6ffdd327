// Trace (a) as the committed bench:peers run timed the real parts: the
// oracle for those figures, beside warmroute's runs there.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { readTrace } from '../../sidecar/replay/inputs.ts';
import { lowerBound } from '../../sidecar/replay/lower-bound.ts';
import { calibratedFleet, shortenPrompts, type Calibration, type PeersResult } from '../peers.ts';
import { oracleProblem, type OracleAnswer } from './problem.ts';
import { solve } from './solver.ts';

const PEERS_RESULT = fileURLToPath(new URL('../results/peers.json', import.meta.url));
const TRACE = fileURLToPath(new URL('../traces/agentic.jsonl', import.meta.url));

export interface PeersOracle {
  date: string;
  calibration: Calibration;
  lowerBoundMs: number;
  oracle: OracleAnswer[];
  runs: Array<{ repeat: number; loads: number; failed: number; makespanMs: number }>;
}

/** Undefined when there is no committed bench:peers run with a calibration. */
export function peersOracle(): PeersOracle | undefined {
  if (!existsSync(PEERS_RESULT)) return undefined;
  const peers = JSON.parse(readFileSync(PEERS_RESULT, 'utf8')) as PeersResult;
  if (!peers.calibration) return undefined;
  const timed = calibratedFleet(shortenPrompts(readTrace(TRACE)), peers.calibration);
  // The calibration times loads, not unloads: for a bound, unloading is free.
  const fleet = timed.fleet.map((s) => ({ ...s, unloadMs: 0 }));
  const runs = peers.runs.filter((r) => r.target === 'warmroute').map((r) => ({ repeat: r.repeat, loads: r.realLoadsTotal, failed: r.report.failed, makespanMs: r.report.makespanMs }));
  const lb = lowerBound(timed.trace, fleet);
  const top = Math.max(lb.loads, ...runs.map((r) => r.loads));
  const oracle: OracleAnswer[] = [];
  for (let loads = lb.loads; loads <= top; loads++) oracle.push(solve(oracleProblem(timed.trace, fleet, top), loads));
  return { date: peers.date, calibration: peers.calibration, lowerBoundMs: lb.makespanMs, oracle, runs };
}
