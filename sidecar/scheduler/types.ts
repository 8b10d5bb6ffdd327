// The contract between request control (the ext_proc edge) and the scheduling
// core. The core is pure and clock-injected: every call takes `now` and
// returns what should happen; timers and promises live at the edge.
import type { ModelState } from '../backends/snapshot.ts';
import type { Policy, Strategy } from '../policy/schema.ts';
import type { MeanLoad } from './mean-load.ts';

/** What the scheduler needs to know about one request. */
export interface RequestInfo {
  id: string;
  /** Public model name (aliases are resolved per backend by the datastore). */
  model: string;
  sessionKey?: string;
  /** Hard affinity (previous_response_id): only this backend holds the stored state. */
  pinnedBackend?: string;
  /** Only these backends may serve it (an endpoint picker's subset hint); absent = any. */
  allowedBackends?: readonly string[];
  promptBytes: number;
  stream: boolean;
}

/** One backend as the scheduler sees it at a point in time (probe facts merged with own accounting). */
export interface BackendView {
  name: string;
  healthy: boolean;
  /** Parallel requests the backend takes. */
  slots: number;
  /** Distinct models it holds at once (Infinity = unlimited). */
  maxModels: number;
  /** Requests this sidecar has running there. */
  inFlight: number;
  inFlightByModel: ReadonlyMap<string, number>;
  /** Requests other clients run there, where the server exposes it. */
  externalInFlight: number;
  /** Requests running there as the server last reported (ours and others'), where it exposes it. */
  reportedInFlight?: number;
  /** inFlight + externalInFlight averaged over time (mean-load.ts). */
  meanLoad: MeanLoad;
  /** Models (public names) this backend may serve, with their residency. */
  models: ReadonlyMap<string, BackendModelView>;
  /** Server reports a swap/load in progress. */
  loading: boolean;
  knowsLoaded: boolean;
  /** False when a request for a cold model cannot make this server load it. */
  loadsOnDemand: boolean;
  /** Up but asleep (vLLM sleep mode): must wake before serving. */
  sleeping: boolean;
  freeMemoryBytes?: number;
  lastUsedAt?: number;
}

export interface BackendModelView {
  /** The id the backend itself uses for this model. */
  backendId: string;
  state: ModelState;
  lastUsedAt?: number;
  /** Learned load time on this backend (ms), if observed. */
  loadMs?: number;
  /** When the current load began (as far as the sidecar saw), while loading. */
  loadStartedAt?: number;
}

/** Why a backend was chosen. */
export type DecisionReason = 'warm' | 'joined-load' | 'cold-load' | 'affinity' | 'pinned' | 'baseline';

export interface DecisionRecord {
  requestId: string;
  model: string;
  backend: string;
  backendModelId: string;
  reason: DecisionReason;
  queuedMs: number;
  /** Expected start (ms from decision) of the chosen option, and of others considered. */
  expectedStartMs?: number;
  scores?: Record<string, number>;
  sessionKey?: string;
  at: number;
  /** Strategy that decided. */
  strategy?: Strategy;
  /** Queue priority the request had when it was dispatched (warm-first, aging-bonus). */
  priority?: number;
  /** Expected start (ms from decision) of every option weighed: admissible backends and warm slots worth waiting for. */
  expectedStartsMs?: Record<string, number>;
  /** The idle model the chosen backend is expected to unload to make room. */
  evicts?: string;
}

/**
 * Load a model ahead of a request through the server's own load API (start),
 * or stop a pre-warm whose demand went away (cancel). Not tied to a request:
 * the edge performs it asynchronously, off the ext_proc path (sidecar/prewarm/).
 */
export interface PrewarmOutcome {
  type: 'prewarm';
  action: 'start' | 'cancel';
  backend: string;
  model: string;
  /** The id the backend uses for the model. */
  backendModelId: string;
  why: string;
  /** Learned (or assumed) load time there. */
  expectedLoadMs: number;
  at: number;
}

/**
 * What the edge must do after a call. A dispatch also takes a slot: the edge
 * acquires it (record.backend, record.model) in its store; a release gives one
 * back. The edge applies every outcome of a call before calling again
 * (accounting.ts). A pre-warm is performed by the edge off the request path.
 */
export type SchedulerOutcome =
  | { type: 'dispatch'; id: string; record: DecisionRecord }
  | { type: 'reject'; id: string; status: 404 | 429 | 503; code: string; message: string; retryAfterS?: number }
  | { type: 'release'; id: string; backend: string; model: string }
  | PrewarmOutcome;

/** The outcomes a client waits for: where its request goes, or why not. */
export type Decision = Extract<SchedulerOutcome, { type: 'dispatch' | 'reject' }>;

/** What a scheduler that applies its own accounting returns: decisions and pre-warms (self-accounting.ts). */
export type EdgeOutcome = Decision | PrewarmOutcome;

export interface CompletionInfo {
  ok: boolean;
  /** Time from dispatch to end. */
  durationMs: number;
  outputTokens?: number;
}

/**
 * The scheduling core's calls. `O` is what a call returns: every outcome for
 * the edge that applies accounting itself (createSchedulerCore), or only the
 * decisions when the scheduler applies its own (createScheduler).
 */
export interface Scheduler<O extends SchedulerOutcome = SchedulerOutcome> {
  submit(req: RequestInfo, now: number): O[];
  /** Client went away while queued or running; idempotent. */
  cancel(id: string, now: number): O[];
  /** The request that was dispatched has ended; releases its slot exactly once. */
  complete(id: string, now: number, info: CompletionInfo): O[];
  /** Backend facts changed (probe) or a timer fired. */
  tick(now: number): O[];
  /** When the next timer-driven event is due (queue timeout, sticky window end), if any. */
  nextWakeAt(): number | undefined;
  queueLength(): number;
  inFlight(): number;
}

/** One waiting request as a dashboard shows it, in dispatch order. */
export interface QueueSnapshotEntry {
  id: string;
  model: string;
  sessionKey?: string;
  /** 0 = next to be considered. */
  position: number;
  ageMs: number;
  /** The priority the strategy orders by (higher first); 0 for arrival-order strategies. */
  priority: number;
  /** Waited past the aging bound: goes before every younger request. */
  starving: boolean;
  /** Backend kept free of other models for this request (drain or starvation hold). */
  holding?: string;
  /** Why it did not start at the last dispatch. */
  waitingReason?: string;
}

/** The scheduler `createScheduler` returns: the edge's contract plus hot reload and introspection. */
export interface SchedulerCore<O extends SchedulerOutcome = SchedulerOutcome> extends Scheduler<O> {
  /** Apply a new policy; queued requests keep their place. Call tick(now) afterwards to dispatch under it. */
  setPolicy(policy: Policy): void;
  /** The most recent decisions, oldest first (bounded). */
  recentDecisions(): DecisionRecord[];
  /** The queue in dispatch order at `now` (default: the time of the last call). */
  queueSnapshot(now?: number): QueueSnapshotEntry[];
  /** Sessions whose backend is remembered (bounded by `sessions.max_entries`). */
  trackedSessions(): number;
}
