// The oracle against the replay itself: on random agentic-shaped traces over
// one-model boxes, for each count of loads some strategy made, the fastest
// strategy run with that count must not beat the oracle given that many
// loads, and the oracle must not beat the lower bound. A breach would mean the
// search's model of the fleet misses something the replay does. Likewise for
// loads: no run makes fewer loads than the oracle's fewest with every wait
// within that run's longest wait.
import fc from 'fast-check';
import { Strategy } from '../../sidecar/policy/schema.ts';
import { lowerBound } from '../../sidecar/replay/lower-bound.ts';
import { reportOf } from '../../sidecar/replay/report.ts';
import { agenticTrace, boxArb, oneModelFleet, roundArb } from '../../sidecar/replay/testing/agentic-shaped.ts';
import { parseTrace } from '../../sidecar/replay/trace.ts';
import { replayVirtual } from '../../sidecar/replay/virtual.ts';
import { oracleProblem, provenFloorMs } from './problem.ts';
import { fewestLoads, solve } from './solver.ts';

/** Random traces checked (the seed fixes them). */
const CHECK_TRACES = Number(process.env.ORACLE_CHECK_TRACES ?? 60);
const CHECK_SEED = 0x0c1e;
/** Seconds per search here: these traces are small. */
const CHECK_TIME_LIMIT_S = 30;

export interface SoundnessCheck {
  traces: number;
  seed: number;
  /** (trace, count of loads) pairs compared. */
  checked: number;
  /** The oracle above a strategy's makespan with as many loads (beyond 1 ms per request of rounding). */
  beatenByStrategy: number;
  /** The oracle below the lower bound's makespan. */
  belowLowerBound: number;
  /** Runs compared with the oracle's fewest loads within the run's longest wait. */
  loadsChecked: number;
  /** Runs with fewer loads than that. */
  fewerLoadsThanOracle: number;
  /** The fastest strategy's makespan ÷ the oracle's, over the pairs the search proved optimal. */
  ratio: { min: number; median: number; max: number };
}

export function soundnessCheck(): SoundnessCheck {
  const cases = fc.sample(fc.tuple(fc.array(boxArb, { minLength: 1, maxLength: 3 }), fc.array(roundArb, { minLength: 2, maxLength: 4 }), fc.integer({ min: 0, max: 300 })), { numRuns: CHECK_TRACES, seed: CHECK_SEED });
  const check: SoundnessCheck = { traces: 0, seed: CHECK_SEED, checked: 0, beatenByStrategy: 0, belowLowerBound: 0, loadsChecked: 0, fewerLoadsThanOracle: 0, ratio: { min: 0, median: 0, max: 0 } };
  const ratios: number[] = [];
  for (const [boxes, rounds, planGap] of cases) {
    const { policy, fleet } = oneModelFleet(boxes);
    const trace = parseTrace(agenticTrace(rounds, planGap));
    if (trace.requests.some((r) => !fleet.some((s) => s.models.has(r.model)))) continue;
    check.traces++;
    const fastest = new Map<number, number>();
    // The search rounds each service time up to a whole millisecond.
    const slack = trace.requests.length;
    for (const s of Strategy.options) {
      const r = reportOf(replayVirtual(trace, policy, fleet, s));
      if (r.failed > 0 || r.loads === null) continue;
      fastest.set(r.loads, Math.min(fastest.get(r.loads) ?? Infinity, r.makespanMs));
      if (s !== 'warm-first' && s !== 'fifo') continue;
      const a = fewestLoads(oracleProblem(trace, fleet, r.loads), Math.ceil(r.waitMs.max) + slack, r.loads, CHECK_TIME_LIMIT_S);
      const floor = a.status === 'optimal' ? a.loads : a.boundLoads;
      if (floor === null) continue;
      check.loadsChecked++;
      if (r.loads < floor) check.fewerLoadsThanOracle++;
    }
    const lb = lowerBound(trace, fleet);
    for (const [loads, makespan] of fastest) {
      const a = solve(oracleProblem(trace, fleet, loads), loads, CHECK_TIME_LIMIT_S);
      const floor = provenFloorMs(a);
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
