// The wire shapes between bench:oracle and solve.py: the problem it hands the
// solver (the replay's own fleet model, in whole milliseconds) and the answer
// it reads back.
import { z } from 'zod';
import { requestServiceMs, type ServerModel } from '../../sidecar/replay/fleet-model.ts';
import { dependenciesOf, type Trace } from '../../sidecar/replay/trace.ts';

export const OracleProblem = z.strictObject({
  /** Upper limit for every time in the search: long enough for everything one after another. */
  horizonMs: z.number().int().positive(),
  boxes: z.array(
    z.strictObject({
      name: z.string(),
      /** Models it holds at once (its model limit, at most the trace's models it serves). */
      lanes: z.number().int().positive(),
      slots: z.number().int().positive(),
      /** Whether the slots are per model or shared by the box's models. */
      slotScope: z.enum(['model', 'server']),
      unloadMs: z.number().int().min(0),
      /** The trace's models this box holds at the start (each a first residency with no load). */
      warm: z.array(z.string()),
      /** Load time per model of the trace this box serves. */
      loadMs: z.record(z.string(), z.number().int().min(0)),
    }),
  ),
  requests: z.array(
    z.strictObject({
      id: z.string(),
      model: z.string(),
      atMs: z.number().nullable(),
      after: z.array(z.string()),
      gapMs: z.number().min(0),
      /** Service time on each box that serves its model, rounded up to whole milliseconds. */
      serviceMs: z.record(z.string(), z.number().int().min(0)),
    }),
  ),
});
export type OracleProblem = z.infer<typeof OracleProblem>;

export const OracleAnswer = z.strictObject({
  minimize: z.enum(['makespan', 'loads']),
  /** Only schedules in which every load starts while a request it serves waits. */
  demandDriven: z.boolean(),
  /** The budget (minimising the makespan), or the fewest loads found (minimising loads). */
  loads: z.number().int().min(0).nullable(),
  status: z.enum(['optimal', 'feasible', 'infeasible', 'unknown', 'model_invalid']),
  makespanMs: z.number().nullable(),
  /** Minimising the makespan: a proven lower bound on it with at most `loads` loads (null when the budget admits no schedule). */
  boundMs: z.number().nullable(),
  /** Minimising loads: a proven lower bound on them. */
  boundLoads: z.number().nullable(),
  /** The longest wait in the schedule found. */
  maxWaitMs: z.number().nullable(),
  solveS: z.number(),
  loadsUsed: z.number().int().optional(),
  /** Whether the schedule found holds at most one copy of a model on a box at a time (a server could run it). */
  oneCopyPerBox: z.boolean().optional(),
  segments: z.array(z.strictObject({ box: z.string(), model: z.string(), loaded: z.boolean(), loadStartMs: z.number(), residentFromMs: z.number(), residentToMs: z.number() })),
});
export type OracleAnswer = z.infer<typeof OracleAnswer>;

/** The least makespan the answer proves for its budget: the optimum, or the bound where the search was cut short. */
export function provenFloorMs(a: OracleAnswer): number | null {
  return a.status === 'optimal' ? a.makespanMs : a.boundMs;
}

/** The problem for a trace on its fleet model; `maxLoads` sizes the horizon. */
export function oracleProblem(trace: Trace, fleet: readonly ServerModel[], maxLoads: number): OracleProblem {
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
  const horizonMs = Math.ceil(
    Math.max(0, ...requests.map((r) => r.atMs ?? 0)) +
      requests.reduce((sum, r) => sum + r.gapMs + Math.max(...Object.values(r.serviceMs)), 0) +
      (maxLoads + boxes.length) * longestLoad,
  );
  return OracleProblem.parse({
    horizonMs,
    boxes: boxes.map((b) => ({
      name: b.name,
      lanes: Math.min(b.maxLoaded, [...b.models.keys()].filter((m) => models.has(m)).length),
      slots: b.slots,
      slotScope: b.slotScope,
      unloadMs: Math.ceil(b.unloadMs),
      warm: [...b.models.values()].filter((m) => m.warmAtStart && models.has(m.name)).map((m) => m.name),
      loadMs: Object.fromEntries([...b.models.values()].filter((m) => models.has(m.name)).map((m) => [m.name, Math.ceil(m.loadMs)])),
    })),
    requests,
  });
}
