// One dispatch cycle's picture of the world: the datastore's views with what
// is derived from them (residency, free slots, who holds which model), the
// holds placed so far, and the cost estimates. The dispatch loop refreshes it
// after every dispatch, since each one takes a slot and may start a load.
import type { ModelState } from '../backends/snapshot.ts';
import { loadEstimateMs, residualMs, slotFreeTimes, WarmSlotForecast, type ServiceTimes } from './cost.ts';
import type { BackendState, Cycle, Hold, ImposedWait, QueueEntry } from './framework.ts';
import type { DemandTracker } from './demand.ts';
import type { BackendStatePort } from './port.ts';
import { believedState, fitOf, residencyOf, type Fit } from './residency.ts';
import type { SessionTable } from './sessions.ts';
import type { SchedulerSettings } from './settings.ts';
import type { BackendView } from './types.ts';
import { mayRunOn } from './plugins/pinned.ts';

/** A dispatched request until it completes or is cancelled. */
export interface RunningRequest {
  readonly id: string;
  readonly backend: string;
  readonly model: string;
  readonly dispatchedAt: number;
  /** Expected wait (load) before it could start, as estimated at dispatch. */
  readonly startDelayMs: number;
  /** It was sent to a backend that did not hold its model: it started a load. */
  readonly startedLoad: boolean;
}

export interface CycleInputs {
  readonly now: number;
  readonly settings: SchedulerSettings;
  readonly store: Pick<BackendStatePort, 'views' | 'candidatesFor'>;
  /** Queued requests for `model` that may run on `backend` (unpinned or pinned there); live, it shrinks as the cycle dispatches. */
  readonly queuedFor: (model: string, backend: string) => number;
  readonly running: ReadonlyMap<string, RunningRequest>;
  readonly services: ServiceTimes;
  /** Concurrent demand per model (running requests, time-averaged). */
  readonly demand: DemandTracker;
  /** The waiting requests by group (model, pin), each oldest first; live. */
  readonly queuedGroups: () => Iterable<QueuedGroup>;
  readonly sessions: SessionTable;
  /** When we sent the request that started a load, by `backend\0model`. */
  readonly loadStarts: ReadonlyMap<string, number>;
  /** Holds of the previous cycle, by backend. */
  readonly previousHolds: ReadonlyMap<string, Hold>;
  readonly random: () => number;
  readonly turns: Map<string, number>;
}

/** A group of waiting requests with the same model and restriction (pin, allowed backends), oldest first. */
export interface QueuedGroup {
  readonly model: string;
  readonly pinnedBackend: string | undefined;
  readonly allowedBackends?: readonly string[];
  entries(): Iterable<QueueEntry>;
}

/** imposedWait reads at most this many of the longest-waiting requests per group: beyond that the sum only grows faster, and the cost stays bounded. */
export const IMPOSED_WAIT_PER_GROUP = 64;

export const loadKey = (backend: string, model: string) => `${backend}\u0000${model}`;

/**
 * Derived states by view: the datastore hands out the same view objects until
 * something changes, so a cycle that follows one that changed nothing (a
 * timer, a request that only queues) derives nothing again.
 */
const derived = new WeakMap<BackendView, BackendState>();

function stateOf(view: BackendView, index: number): BackendState {
  let state = derived.get(view);
  if (state?.index !== index) derived.set(view, (state = backendStateOf(view, index)));
  return state;
}

export function backendStateOf(view: BackendView, index: number): BackendState {
  const residency = residencyOf(view);
  const load = view.inFlight + view.externalInFlight;
  const fits = new Map<string, Fit>();
  return {
    name: view.name,
    index,
    view,
    residency,
    freeSlots: Math.max(0, view.slots - load),
    load,
    stateOf: (model: string): ModelState => believedState(view, residency, model),
    fitOf: (model: string): Fit => {
      let fit = fits.get(model);
      if (!fit) fits.set(model, (fit = fitOf(view, residency, model)));
      return fit;
    },
  };
}

export class DispatchCycle implements Cycle {
  readonly now: number;
  readonly settings: SchedulerSettings;
  /** Holds placed in this cycle, by backend. */
  readonly holds = new Map<string, Hold>();
  private statesRead: BackendState[] = [];
  private byNameRead = new Map<string, BackendState>();
  private readonly candidates = new Map<string, ReadonlySet<string>>();
  private readonly represented = new Map<string, boolean>();
  private readonly forecasts = new Map<string, WarmSlotForecast>();
  /** Per-refresh memos: both are asked once per backend and request otherwise, O(backends) each. */
  private readonly loadEstimates = new Map<string, number>();
  private readonly loading = new Map<string, readonly string[]>();
  /** imposedWait by backend, victim and since, until the next refresh (a dispatch shrinks the queue). */
  private readonly imposed = new Map<string, ImposedWait>();
  /** Slots taken from warm-slot forecasts this cycle: the dispatch pass watches it (pass.ts). */
  forecastTakes = 0;
  /** This sidecar's running requests by backend, built when a forecast first needs it after a refresh. */
  private runningOn: Map<string, RunningRequest[]> | undefined;

  /** The datastore changed since the states were read: re-read them on next use. */
  private stale = true;

  constructor(private readonly inputs: CycleInputs) {
    this.now = inputs.now;
    this.settings = inputs.settings;
  }

  /**
   * Re-read the datastore (after a dispatch changed it). Lazily: a pass whose
   * last dispatch is its last placement (the common case, one request and an
   * empty queue) never pays for a second read.
   */
  refresh(): void {
    this.stale = true;
    this.runningOn = undefined;
    this.represented.clear();
    this.loadEstimates.clear();
    this.loading.clear();
    this.imposed.clear();
  }

  private get states(): BackendState[] {
    if (this.stale) this.reread();
    return this.statesRead;
  }

  private get byName(): Map<string, BackendState> {
    if (this.stale) this.reread();
    return this.byNameRead;
  }

  private reread(): void {
    this.stale = false;
    this.statesRead = this.inputs.store.views().map((v, i) => stateOf(v, i));
    this.byNameRead = new Map(this.statesRead.map((s) => [s.name, s]));
  }

  addHold(hold: Hold): void {
    if (!this.holds.has(hold.backend)) this.holds.set(hold.backend, hold);
  }

  backends(): readonly BackendState[] {
    return this.states;
  }

  backend(name: string): BackendState | undefined {
    return this.byName.get(name);
  }

  isCandidate(backend: string, model: string): boolean {
    let set = this.candidates.get(model);
    if (!set) this.candidates.set(model, (set = new Set(this.inputs.store.candidatesFor(model))));
    return set.has(backend);
  }

  isRepresented(model: string): boolean {
    let r = this.represented.get(model);
    if (r === undefined) {
      r = this.states.some((b) => b.residency.running.has(model) || (this.usable(b, model) && b.stateOf(model) !== 'cold'));
      this.represented.set(model, r);
    }
    return r;
  }

  heldElsewhere(model: string, except: string): boolean {
    return this.states.some((b) => b.name !== except && this.usable(b, model) && b.stateOf(model) !== 'cold');
  }

  servableElsewhere(model: string, except: string): boolean {
    return this.states.some((b) => b.name !== except && this.usable(b, model));
  }

  placeableElsewhere(model: string, except: string): boolean {
    return this.states.some((b) => {
      if (b.name === except || !this.usable(b, model)) return false;
      if (b.stateOf(model) !== 'cold') return true;
      if (b.freeSlots === 0) return false;
      const fit = b.fitOf(model);
      // Unloading a model with requests queued, or one still in use (its demand not yet idle), is no place to go.
      return fit.kind === 'room' || (fit.kind === 'evict' && this.queuedDemand(fit.victim, b.name) === 0 && this.isIdle(fit.victim));
    });
  }

  loadingOn(model: string): readonly string[] {
    let on = this.loading.get(model);
    if (!on) this.loading.set(model, (on = this.states.filter((b) => this.usable(b, model) && b.stateOf(model) === 'loading').map((b) => b.name)));
    return on;
  }

  queuedDemand(model: string, backend: string): number {
    return this.inputs.queuedFor(model, backend);
  }

  holdOn(backend: string): Hold | undefined {
    return this.holds.get(backend);
  }

  isIdle(model: string): boolean {
    return this.inputs.demand.isIdle(model, this.now);
  }

  demandOf(model: string, on: BackendState, afterMs = 0): number {
    return this.inputs.demand.of(model, this.now + afterMs, this.loadEstimateMs(on, model));
  }

  imposedWait(backend: string, victim: string, since: number): ImposedWait {
    const key = `${backend}\u0000${victim}\u0000${since}`;
    let found = this.imposed.get(key);
    if (found === undefined) {
      let totalMs = 0;
      let waiters = 0;
      for (const g of this.inputs.queuedGroups()) {
        if (g.model === victim || !mayRunOn(g, backend) || !this.isCandidate(backend, g.model)) continue;
        let n = 0;
        for (const e of g.entries()) {
          if (n++ >= IMPOSED_WAIT_PER_GROUP) break;
          totalMs += Math.max(0, this.now - Math.max(e.enqueuedAt, since));
          waiters++;
        }
      }
      this.imposed.set(key, (found = { totalMs, waiters }));
    }
    return found;
  }

  recentSessionTurnsOn(backend: string): number {
    return this.inputs.sessions.recentTurnsOn(backend, this.now);
  }

  drainedFor(backend: string): string | undefined {
    return this.inputs.previousHolds.get(backend)?.model;
  }

  sessionBackend(sessionKey: string): string | undefined {
    return this.inputs.sessions.get(sessionKey, this.now);
  }

  expectedStartMs(backend: BackendState, model: string): number {
    const state = backend.stateOf(model);
    if (state === 'warm') return 0;
    if (state === 'loading') return this.remainingLoadMs(backend, model);
    // Servers load one model at a time: a cold load waits for one in progress.
    let busyLoading = 0;
    for (const other of backend.residency.held)
      if (other !== model && backend.stateOf(other) === 'loading') busyLoading = Math.max(busyLoading, this.remainingLoadMs(backend, other));
    return busyLoading + this.loadEstimateMs(backend, model);
  }

  knowsServiceTime(model: string): boolean {
    return this.inputs.services.knows(model);
  }

  knowsLoadTimes(): boolean {
    for (const b of this.states) for (const m of b.view.models.values()) if (m.loadMs !== undefined) return true;
    return false;
  }

  loadEstimateMs(backend: BackendState, model: string): number {
    const key = loadKey(backend.name, model);
    let ms = this.loadEstimates.get(key);
    if (ms === undefined) this.loadEstimates.set(key, (ms = loadEstimateMs(backend.view, model, this.states.map((s) => s.view))));
    return ms;
  }

  warmSlotForecast(model: string, pinnedBackend: string | undefined, fullBackends: readonly BackendState[]): WarmSlotForecast {
    const key = `${model}\u0000${pinnedBackend ?? ''}`;
    let forecast = this.forecasts.get(key);
    if (forecast) return forecast;
    forecast = new CountedForecast(() => this.forecastTakes++);
    for (const b of fullBackends) {
      const remaining: number[] = [];
      for (const r of this.runningBy(b.name)) remaining.push(this.remainingMs(r, b));
      // Other clients' requests: unknown start, so on average half a typical request is left.
      for (let i = 0; i < b.view.externalInFlight; i++) remaining.push(this.inputs.services.typical() / 2);
      let times = slotFreeTimes(remaining, b.view.slots);
      if (b.stateOf(model) === 'loading') {
        const ready = this.remainingLoadMs(b, model);
        times = times.map((t) => Math.max(t, ready));
      }
      forecast.add(b.name, times, this.inputs.services.estimate(b.name, model));
    }
    this.forecasts.set(key, forecast);
    return forecast;
  }

  random(): number {
    return this.inputs.random();
  }

  nextTurn(key: string): number {
    const n = this.inputs.turns.get(key) ?? 0;
    this.inputs.turns.set(key, n + 1);
    return n;
  }

  /** Expected time left of a running request: any load it waits for, then its service time. */
  private remainingMs(r: RunningRequest, b: BackendState): number {
    const serviceMs = this.inputs.services.estimate(b.name, r.model);
    let startedAt = r.dispatchedAt + r.startDelayMs;
    if (b.stateOf(r.model) === 'warm') {
      // The load it waited for is over, so it started by now; if it started
      // that load itself, by the load time the datastore measured.
      const measured = r.startedLoad ? b.view.models.get(r.model)?.loadMs : undefined;
      if (measured !== undefined) startedAt = Math.min(startedAt, r.dispatchedAt + measured);
      startedAt = Math.min(startedAt, this.now);
    }
    if (startedAt > this.now) return startedAt - this.now + serviceMs;
    return residualMs(this.now - startedAt, serviceMs);
  }

  private runningBy(backend: string): readonly RunningRequest[] {
    if (!this.runningOn) {
      this.runningOn = new Map();
      for (const r of this.inputs.running.values()) {
        const list = this.runningOn.get(r.backend);
        if (list) list.push(r);
        else this.runningOn.set(r.backend, [r]);
      }
    }
    return this.runningOn.get(backend) ?? [];
  }

  private usable(b: BackendState, model: string): boolean {
    return b.view.healthy && this.isCandidate(b.name, model);
  }

  private remainingLoadMs(b: BackendState, model: string): number {
    const estimate = this.loadEstimateMs(b, model);
    const started = this.inputs.loadStarts.get(loadKey(b.name, model));
    // A load we did not start (another client, or before a restart): assume half done.
    return started === undefined ? estimate / 2 : residualMs(this.now - started, estimate);
  }
}

/** A forecast that reports each slot taken from it. */
class CountedForecast extends WarmSlotForecast {
  constructor(private readonly onTake: () => void) {
    super();
  }

  override take() {
    const slot = super.take();
    if (slot) this.onTake();
    return slot;
  }
}
