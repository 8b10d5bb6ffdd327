// Figures of one replay run: loads, failures, waits and makespan, overall and
// per model. Wait = arrival → the request starts producing (scheduler queue,
// model load and the server's own slot queue together).
import type { RunResult } from './run-result.ts';

export interface WaitFigures {
  p50: number;
  p90: number;
  max: number;
}

export interface ModelFigures {
  requests: number;
  failed: number;
  /** null when loads are not observable. */
  loads: number | null;
  waitMs: WaitFigures;
}

export interface RunReport {
  label: string;
  requests: number;
  failed: number;
  /** Refusals and errors by code. */
  failures: Record<string, number>;
  loads: number | null;
  waitMs: WaitFigures;
  /** Arrival → dispatch: the part of the wait spent in the sidecar's queue (what the aging bound governs); null in live mode. */
  queueMs: WaitFigures | null;
  /** Trace start → last request end. */
  makespanMs: number;
  /** Wall-clock time of the replay itself. */
  wallMs: number;
  models: Record<string, ModelFigures>;
  /** Requests served per backend (where known). */
  backends: Record<string, number>;
}

/** Nearest-rank quantile of ascending samples (0 when empty). */
function quantileSorted(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

function waits(samples: number[]): WaitFigures {
  const s = samples.sort((a, b) => a - b);
  const r = (x: number): number => Math.round(x);
  return { p50: r(quantileSorted(s, 0.5)), p90: r(quantileSorted(s, 0.9)), max: r(s[s.length - 1] ?? 0) };
}

export function reportOf(run: RunResult): RunReport {
  const failures: Record<string, number> = {};
  const all: number[] = [];
  const queued: number[] = [];
  const perModel = new Map<string, { requests: number; failed: number; waits: number[] }>();
  let makespan = 0;
  const backends: Record<string, number> = {};
  for (const r of run.requests) {
    if (r.backend !== undefined && !r.failed) backends[r.backend] = (backends[r.backend] ?? 0) + 1;
    const m = perModel.get(r.model) ?? { requests: 0, failed: 0, waits: [] };
    perModel.set(r.model, m);
    m.requests++;
    makespan = Math.max(makespan, r.endedAt);
    if (r.failed) {
      m.failed++;
      failures[r.failed.code] = (failures[r.failed.code] ?? 0) + 1;
      continue;
    }
    if (r.dispatchedAt !== undefined) queued.push(r.dispatchedAt - r.arrivedAt);
    if (r.startedAt !== undefined) {
      all.push(r.startedAt - r.arrivedAt);
      m.waits.push(r.startedAt - r.arrivedAt);
    }
  }
  const models: Record<string, ModelFigures> = {};
  for (const [name, m] of [...perModel].sort(([a], [b]) => (a < b ? -1 : 1)))
    models[name] = { requests: m.requests, failed: m.failed, loads: run.loads ? (run.loads.byModel[name] ?? (Object.keys(run.loads.byModel).length > 0 ? 0 : null)) : null, waitMs: waits(m.waits) };
  return {
    label: run.label,
    requests: run.requests.length,
    failed: Object.values(failures).reduce((a, b) => a + b, 0),
    failures,
    loads: run.loads ? run.loads.total : null,
    waitMs: waits(all),
    queueMs: queued.length > 0 ? waits(queued) : null,
    makespanMs: Math.round(makespan),
    wallMs: Math.round(run.wallMs),
    models,
    backends,
  };
}
