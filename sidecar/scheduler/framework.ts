// The plugin framework, after the Kubernetes scheduler and the Gateway API
// Inference Extension's endpoint picker: filters say whether a backend is
// admissible (and why not), scorers grade admissible backends in [0,1], the
// weighted sum goes to a picker. Strategies compose these; the dispatch loop
// (engine.ts) drives them.
import type { ModelState } from '../backends/snapshot.ts';
import type { WarmSlotForecast } from './cost.ts';
import type { Fit, Residency } from './residency.ts';
import type { SchedulerSettings, ScorerWeights } from './settings.ts';
import type { BackendView, RequestInfo } from './types.ts';

/** A request waiting in the queue. */
export interface QueueEntry {
  readonly req: RequestInfo;
  /** Arrival order. */
  readonly seq: number;
  readonly enqueuedAt: number;
}

/** One backend during one dispatch cycle: the datastore's view plus what is derived from it. */
export interface BackendState {
  readonly name: string;
  /** Position in the policy; the last tie-break and round-robin follow it. */
  readonly index: number;
  readonly view: BackendView;
  readonly residency: Residency;
  /** Slots taken neither by this sidecar's requests nor by other clients'. */
  readonly freeSlots: number;
  /** Requests running there, ours and other clients'. */
  readonly load: number;
  stateOf(model: string): ModelState;
  fitOf(model: string): Fit;
}

/** A queued request as the strategy ranked it for this cycle. */
export interface Placement {
  readonly entry: QueueEntry;
  readonly model: string;
  readonly modelPriority: number;
  /** Queue priority this cycle (higher goes first). */
  readonly priority: number;
  /** Position in this cycle's order. */
  readonly rank: number;
  /** Waited past the aging bound. */
  readonly starving: boolean;
  /** The first request of a model that is warm nowhere (the diversity pass). */
  readonly diversity: boolean;
  /** The strategy lets this request displace models in their sticky window. */
  readonly waivesStickyWindows: boolean;
}

/** Waiting imposed on queued requests by a model kept on a backend (Cycle.imposedWait). */
export interface ImposedWait {
  readonly totalMs: number;
  readonly waiters: number;
}

/** A backend kept free of other models for one waiting request. */
export interface Hold {
  readonly backend: string;
  readonly model: string;
  readonly requestId: string;
  readonly rank: number;
  /** drain: for a cold model's first request; starving: past the aging bound; prewarm: a load started ahead is under way. */
  readonly why: 'drain' | 'starving' | 'prewarm';
}

/** An admissible backend for a request. */
export interface Option {
  readonly backend: BackendState;
  /** The model's state there. */
  readonly state: ModelState;
  readonly fit: Fit;
}

/** What plugins and strategies may read (and the few services they use) during one dispatch cycle. */
export interface Cycle {
  readonly now: number;
  readonly settings: SchedulerSettings;
  backends(): readonly BackendState[];
  backend(name: string): BackendState | undefined;
  isCandidate(backend: string, model: string): boolean;
  /** Warm or loading on a healthy backend that may serve it, or running somewhere. */
  isRepresented(model: string): boolean;
  /** Warm or loading on a healthy backend other than `except`. */
  heldElsewhere(model: string, except: string): boolean;
  /** A healthy backend other than `except` may serve it (busy or not). */
  servableElsewhere(model: string, except: string): boolean;
  /**
   * Its requests have somewhere else to go now: it is warm or loading on
   * another healthy backend, or another backend has a free slot and room for
   * it without unloading a model that has requests running or queued.
   */
  placeableElsewhere(model: string, except: string): boolean;
  /** Healthy backends where the model is loading. */
  loadingOn(model: string): readonly string[];
  /** Queued requests for the model that are not pinned to another backend than `backend`. */
  queuedDemand(model: string, backend: string): number;
  holdOn(backend: string): Hold | undefined;
  /**
   * Demand of a model: the larger of its concurrency and, while idle, its recurrence (demand.ts),
   * `afterMs` from now if nothing changes. Before any gap is known, the gap is taken as its reload
   * time on `on` (the classic break-even: keep an idle model about as long as reloading it takes).
   */
  demandOf(model: string, on: BackendState, afterMs?: number): number;
  /**
   * Nothing of the model ran lately and its next request is not due (its concurrency and its demand
   * both below IDLE_DEMAND, demand.ts): it may be unloaded without anyone asking for its backend
   * (a pre-warm, a drain).
   */
  isIdle(model: string): boolean;
  /**
   * Waiting that keeping `victim` on `backend` imposes: the summed time since
   * `since` (or since they arrived, if later) of queued requests for other
   * models that backend could serve.
   */
  imposedWait(backend: string, victim: string, since: number): ImposedWait;
  /** The model a backend was being drained for at the previous dispatch. */
  drainedFor(backend: string): string | undefined;
  sessionBackend(sessionKey: string): string | undefined;
  /** Turns of conversations this backend ran lately (exponentially decayed, sessions.ts). */
  recentSessionTurnsOn(backend: string): number;
  /** A request for the model has completed somewhere (before that its service time is assumed). */
  knowsServiceTime(model: string): boolean;
  /** Some load time has been observed somewhere in the fleet (before that, every load estimate is the default). */
  knowsLoadTimes(): boolean;
  /** Learned (or assumed) time to load `model` on `backend`. */
  loadEstimateMs(backend: BackendState, model: string): number;
  /** Expected ms until a request for `model` could start on `backend`, given a free slot there. */
  expectedStartMs(backend: BackendState, model: string): number;
  /**
   * Slots expected to free (ms from now) on `fullBackends`, where the model is
   * warm or loading but every slot is taken; shared by the model's waiters in
   * this cycle (and kept apart for requests pinned to one backend).
   */
  warmSlotForecast(model: string, pinnedBackend: string | undefined, fullBackends: readonly BackendState[]): WarmSlotForecast;
  /** A uniform draw in [0,1). */
  random(): number;
  /** Successive turns of a named rotation: 0, 1, 2, … */
  nextTurn(key: string): number;
}

export type Verdict = { ok: true } | { ok: false; reason: string };
export const ADMIT: Verdict = { ok: true };
export const refuse = (reason: string): Verdict => ({ ok: false, reason });

export interface Filter {
  /** Its name in the registry (registry.ts). */
  readonly name: string;
  check(p: Placement, b: BackendState, cycle: Cycle): Verdict;
  /**
   * When this filter's verdict on the backend may next change with time
   * alone (nothing else happening), if it may: the engine wakes then.
   */
  nextChangeAt?(view: BackendView, settings: SchedulerSettings, now: number): number | undefined;
}

export interface Scorer {
  /** Its name in the registry, which is also its key in the policy's `scheduler.weights`. */
  readonly name: keyof ScorerWeights;
  /** A score in [0,1] per option (keyed by backend name). */
  score(p: Placement, options: readonly Option[], cycle: Cycle): ReadonlyMap<string, number>;
}

export interface Picker {
  readonly name: string;
  pick(p: Placement, options: readonly Option[], totals: ReadonlyMap<string, number>): Option;
}

export interface Rejection {
  readonly backend: BackendState;
  readonly failures: ReadonlyArray<{ filter: string; reason: string }>;
}

export interface Evaluation {
  readonly options: readonly Option[];
  readonly rejections: readonly Rejection[];
}

/** Run every filter on every backend: the failures of a rejected backend are all kept, since holds look at which ones failed. */
export function evaluate(filters: readonly Filter[], p: Placement, cycle: Cycle): Evaluation {
  const options: Option[] = [];
  const rejections: Rejection[] = [];
  for (const b of cycle.backends()) {
    // Allocated only on a first failure: most checks pass or fail once, and this runs for every backend per request.
    let failures: Array<{ filter: string; reason: string }> | undefined;
    for (const f of filters) {
      const v = f.check(p, b, cycle);
      if (!v.ok) (failures ??= []).push({ filter: f.name, reason: v.reason });
    }
    if (failures === undefined) options.push({ backend: b, state: b.stateOf(p.model), fit: b.fitOf(p.model) });
    else rejections.push({ backend: b, failures });
  }
  return { options, rejections };
}

/** Weighted sum of the scorers per option. */
export function weigh(scorers: readonly Scorer[], weights: ScorerWeights, p: Placement, options: readonly Option[], cycle: Cycle): Map<string, number> {
  const totals = new Map<string, number>(options.map((o) => [o.backend.name, 0]));
  for (const s of scorers) {
    const w = weights[s.name];
    if (w === 0) continue;
    const scores = s.score(p, options, cycle);
    for (const o of options) {
      const v = Math.min(1, Math.max(0, scores.get(o.backend.name) ?? 0));
      totals.set(o.backend.name, totals.get(o.backend.name)! + w * v);
    }
  }
  return totals;
}

/** A rejection's failures, all from the named filters (and at least one). */
export function failsOnlyOn(r: Rejection, filters: readonly string[]): boolean {
  return r.failures.length > 0 && r.failures.every((f) => filters.includes(f.filter));
}
