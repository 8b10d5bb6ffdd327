// Running solve.py: a python with OR-Tools (ORACLE_PYTHON, default python3),
// one process per budget of loads.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { OracleAnswer, type OracleProblem } from './problem.ts';

const SOLVER = fileURLToPath(new URL('./solve.py', import.meta.url));
export const PYTHON = process.env.ORACLE_PYTHON ?? 'python3';
/** Seconds CP-SAT may search per budget; past it the answer is the best schedule found and a proven bound. */
export const TIME_LIMIT_S = Number(process.env.ORACLE_TIME_LIMIT_S ?? 300);

/** OR-Tools' version, or undefined when the python has none. */
export function oracleAvailable(): string | undefined {
  const r = spawnSync(PYTHON, ['-c', 'import ortools; print(ortools.__version__)'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

/** The least makespan with at most `loads` loads; `demandDriven`: only loads started while a request for them waits. */
export function solve(problem: OracleProblem, loads: number, timeLimitS = TIME_LIMIT_S, demandDriven = false): OracleAnswer {
  return run(problem, ['--minimize', 'makespan', '--loads', String(loads), ...(demandDriven ? ['--demand-driven'] : [])], timeLimitS);
}

/** The fewest loads with every wait within `maxWaitMs` (searching up to `segments` residencies per model place). */
export function fewestLoads(problem: OracleProblem, maxWaitMs: number, segments: number, timeLimitS = TIME_LIMIT_S): OracleAnswer {
  return run(problem, ['--minimize', 'loads', '--max-wait-ms', String(maxWaitMs), '--segments', String(segments)], timeLimitS);
}

function run(problem: OracleProblem, args: readonly string[], timeLimitS: number): OracleAnswer {
  const r = spawnSync(PYTHON, [SOLVER, ...args, '--time-limit', String(timeLimitS)], { input: JSON.stringify(problem), encoding: 'utf8', maxBuffer: 64 * 2 ** 20 });
  if (r.status !== 0) throw new Error(`solve.py ${args.join(' ')} failed: ${r.stderr}`);
  return OracleAnswer.parse(JSON.parse(r.stdout));
}
