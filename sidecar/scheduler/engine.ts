// The dispatch loop, in one place, shared by every strategy: admission, the
// queue and its limits, timeouts, cancellation, completion and accounting.
// Each call takes `now`, runs one dispatch cycle (expire, rank, filter,
// choose, dispatch) and returns what the edge must do; it owns no timers.
import type { Datastore } from '../backends/datastore.ts';
import type { Policy } from '../policy/schema.ts';
import { DEFAULT_LOAD_MS, loadEstimateMs, retryAfterSeconds, ServiceTimes } from './cost.ts';
import { DispatchCycle, loadKey, type RunningRequest } from './cycle.ts';
import { evaluate, type Hold, type Placement, type QueueEntry } from './framework.ts';
import { STICKY_WINDOW } from './plugins/sticky-window.ts';
import { believedState, residencyOf, stickyUntil } from './residency.ts';
import { Ring } from './ring.ts';
import { SessionTable } from './sessions.ts';
import { settingsFrom, type SchedulerSettings } from './settings.ts';
import { STRATEGIES, type Choice, type Strategy } from './strategies/index.ts';
import type { CompletionInfo, DecisionRecord, QueueSnapshotEntry, RequestInfo, SchedulerCore, SchedulerOutcome } from './types.ts';
import { seededRandom } from '../util/seeded-random.ts';

export interface SchedulerOptions {
  /** Uniform [0,1) source for the `random` strategy; default: a fixed-seed generator, so runs repeat. */
  random?: () => number;
  /** How many recent decisions `recentDecisions()` keeps. */
  decisionHistory?: number;
}

/** Decisions kept for the dashboard by default: a few minutes of a busy home lab. */
export const DEFAULT_DECISION_HISTORY = 512;
const RANDOM_SEED = 0x5eed;

type Reject = Extract<SchedulerOutcome, { type: 'reject' }>;

export class QueueingScheduler implements SchedulerCore {
  private settings: SchedulerSettings;
  private strategy: Strategy;
  /** Waiting requests; Map order is arrival order. */
  private readonly queue = new Map<string, QueueEntry>();
  private readonly running = new Map<string, RunningRequest>();
  private readonly services = new ServiceTimes();
  private readonly sessions: SessionTable;
  private readonly decisions: Ring<DecisionRecord>;
  private readonly loadStarts = new Map<string, number>();
  private readonly turns = new Map<string, number>();
  private readonly random: () => number;
  /** Holds of the last cycle, by backend. */
  private holds = new Map<string, Hold>();
  private waitReasons = new Map<string, string>();
  /** Earliest time a wait decision asked to be re-examined. */
  private recheckAt: number | undefined;
  private seq = 0;
  private lastNow = 0;

  constructor(
    policy: Policy,
    private readonly store: Datastore,
    opts: SchedulerOptions = {},
  ) {
    this.settings = settingsFrom(policy);
    this.strategy = STRATEGIES[this.settings.strategy];
    this.sessions = new SessionTable(this.settings.sessionMaxEntries, this.settings.sessionTtlMs);
    this.decisions = new Ring(opts.decisionHistory ?? DEFAULT_DECISION_HISTORY);
    this.random = opts.random ?? seededRandom(RANDOM_SEED);
  }

  submit(req: RequestInfo, now: number): SchedulerOutcome[] {
    this.lastNow = now;
    if (this.queue.has(req.id) || this.running.has(req.id)) throw new Error(`request id ${req.id} is already scheduled`);
    if (!this.store.isKnownModel(req.model))
      return [{ type: 'reject', id: req.id, status: 404, code: 'model_not_found', message: `The model '${req.model}' is not served by any backend.` }];
    const unservable = this.unservable(req);
    if (unservable) return [unservable];
    this.queue.set(req.id, { req, seq: this.seq++, enqueuedAt: now });
    const out = this.dispatch(now);
    if (this.queue.has(req.id) && this.queue.size > this.settings.queueMaxLength) {
      this.forget(req.id);
      out.push({
        type: 'reject',
        id: req.id,
        status: 429,
        code: 'queue_full',
        message: `Too many requests are waiting (${this.settings.queueMaxLength}); retry later.`,
        retryAfterS: this.queueDrainSeconds(),
      });
    }
    return out;
  }

  cancel(id: string, now: number): SchedulerOutcome[] {
    this.lastNow = now;
    if (this.queue.has(id)) {
      this.forget(id);
      return this.dispatch(now);
    }
    const r = this.running.get(id);
    if (!r) return [];
    this.running.delete(id);
    this.store.release(r.backend, r.model, now);
    return this.dispatch(now);
  }

  complete(id: string, now: number, info: CompletionInfo): SchedulerOutcome[] {
    this.lastNow = now;
    const r = this.running.get(id);
    // Completion of a request still queued: the edge gave up on it; never start it.
    if (!r) return this.queue.has(id) ? this.cancel(id, now) : [];
    this.running.delete(id);
    this.store.release(r.backend, r.model, now);
    // The duration includes the load it waited for; learn the service time
    // alone. A load it started has usually been measured by now (datastore).
    if (info.ok) this.services.observe(r.backend, r.model, info.durationMs - this.loadWaitOf(r));
    return this.dispatch(now);
  }

  tick(now: number): SchedulerOutcome[] {
    this.lastNow = now;
    return this.dispatch(now);
  }

  nextWakeAt(): number | undefined {
    if (this.queue.size === 0) return undefined;
    const now = this.lastNow;
    let next = Infinity;
    const consider = (t: number) => {
      if (t > now && t < next) next = t;
    };
    for (const e of this.queue.values()) {
      consider(e.enqueuedAt + this.settings.queueTimeoutMs);
      if (this.strategy.agingBound) consider(e.enqueuedAt + this.settings.agingMs);
    }
    if (this.strategy.filters.some((f) => f.name === STICKY_WINDOW))
      for (const view of this.store.views()) {
        const residency = residencyOf(view);
        for (const m of residency.held) {
          const until = stickyUntil(view, residency, m, this.settings.unloadDelayMs(m), now);
          if (until !== undefined) consider(until);
        }
      }
    if (this.recheckAt !== undefined) consider(this.recheckAt);
    return next === Infinity ? undefined : next;
  }

  queueLength(): number {
    return this.queue.size;
  }

  inFlight(): number {
    return this.running.size;
  }

  setPolicy(policy: Policy): void {
    this.settings = settingsFrom(policy);
    this.strategy = STRATEGIES[this.settings.strategy];
    this.sessions.resize(this.settings.sessionMaxEntries, this.settings.sessionTtlMs, this.lastNow);
  }

  recentDecisions(): DecisionRecord[] {
    return this.decisions.toArray();
  }

  queueSnapshot(now: number = this.lastNow): QueueSnapshotEntry[] {
    if (this.queue.size === 0) return [];
    const cycle = this.newCycle(now);
    const holding = new Map([...this.holds.values()].map((h) => [h.requestId, h.backend]));
    return this.strategy.rank([...this.queue.values()], cycle).map((p) => ({
      id: p.entry.req.id,
      model: p.model,
      sessionKey: p.entry.req.sessionKey,
      position: p.rank,
      ageMs: now - p.entry.enqueuedAt,
      priority: Math.round(p.priority * 1000) / 1000,
      starving: p.starving,
      holding: holding.get(p.entry.req.id),
      waitingReason: this.waitReasons.get(p.entry.req.id),
    }));
  }

  /** One dispatch cycle. */
  private dispatch(now: number): SchedulerOutcome[] {
    const out: SchedulerOutcome[] = this.expire(now);
    this.recheckAt = undefined;
    if (this.queue.size === 0) {
      this.holds = new Map();
      this.waitReasons = new Map();
      return out;
    }
    const cycle = this.newCycle(now);
    const reasons = new Map<string, string>();
    const ranked = this.strategy.rank([...this.queue.values()], cycle);
    for (let i = 0; i < ranked.length; i++) {
      const p = ranked[i]!;
      const choice = this.strategy.choose(p, evaluate(this.strategy.filters, p, cycle), cycle);
      if (choice.kind === 'dispatch') {
        out.push(this.start(p, choice, cycle, now));
        cycle.refresh();
        continue;
      }
      reasons.set(p.entry.req.id, choice.why);
      if (choice.hold) cycle.addHold({ backend: choice.hold.backend, model: p.model, requestId: p.entry.req.id, rank: p.rank, why: choice.hold.why });
      if (choice.recheckAt !== undefined) this.recheckAt = Math.min(this.recheckAt ?? Infinity, choice.recheckAt);
      if (this.strategy.headOfLineBlocks) {
        for (const behind of ranked.slice(i + 1)) reasons.set(behind.entry.req.id, `behind ${p.entry.req.id} (strict FIFO)`);
        break;
      }
    }
    this.holds = cycle.holds;
    this.waitReasons = reasons;
    return out;
  }

  private start(p: Placement, choice: Extract<Choice, { kind: 'dispatch' }>, cycle: DispatchCycle, now: number): SchedulerOutcome {
    const { req } = p.entry;
    const b = choice.option.backend;
    const startDelayMs = cycle.expectedStartMs(b, p.model);
    const evicts = choice.option.fit.kind === 'evict' ? choice.option.fit.victim : undefined;
    this.store.acquire(b.name, p.model, now);
    if (choice.option.state === 'cold') this.loadStarts.set(loadKey(b.name, p.model), now);
    this.running.set(req.id, { id: req.id, backend: b.name, model: p.model, dispatchedAt: now, startDelayMs, startedLoad: choice.option.state === 'cold' });
    this.forget(req.id);
    if (req.sessionKey !== undefined) this.sessions.set(req.sessionKey, b.name, now);
    const record: DecisionRecord = {
      requestId: req.id,
      model: p.model,
      backend: b.name,
      backendModelId: b.view.models.get(p.model)?.backendId ?? p.model,
      reason: choice.reason,
      queuedMs: now - p.entry.enqueuedAt,
      expectedStartMs: Math.round(startDelayMs),
      scores: choice.scores,
      sessionKey: req.sessionKey,
      at: now,
      strategy: this.strategy.name,
      priority: this.strategy.agingBound || p.priority !== 0 ? Math.round(p.priority * 1000) / 1000 : undefined,
      expectedStartsMs: choice.expectedStartsMs,
      evicts,
    };
    this.decisions.push(record);
    return { type: 'dispatch', id: req.id, record };
  }

  private loadWaitOf(r: RunningRequest): number {
    if (!r.startedLoad) return r.startDelayMs;
    const measured = this.store.views().find((v) => v.name === r.backend)?.models.get(r.model)?.loadMs;
    return measured ?? r.startDelayMs;
  }

  /** Requests that waited out the queue timeout. */
  private expire(now: number): Reject[] {
    const out: Reject[] = [];
    for (const e of [...this.queue.values()]) {
      if (now - e.enqueuedAt < this.settings.queueTimeoutMs) continue;
      this.forget(e.req.id);
      out.push({
        type: 'reject',
        id: e.req.id,
        status: 503,
        code: 'queue_timeout',
        message: `Waited ${now - e.enqueuedAt} ms for a backend to serve '${e.req.model}'; retry later.`,
        retryAfterS: this.modelWaitSeconds(e.req.model),
      });
    }
    return out;
  }

  private forget(id: string): void {
    this.queue.delete(id);
    this.waitReasons.delete(id);
    for (const [backend, h] of this.holds) if (h.requestId === id) this.holds.delete(backend);
  }

  /**
   * No healthy backend may serve the request: none is up, or those that are
   * neither hold the model nor load models on demand. Refused at once rather
   * than queued: the wait would most likely end in a timeout, and the client
   * learns it now. Requests already queued when backends go down keep waiting
   * (bounded by the queue timeout), since the backends were up when they were
   * admitted and probes may bring them back.
   */
  private unservable(req: RequestInfo): Reject | undefined {
    let candidates = this.store.candidatesFor(req.model);
    if (req.pinnedBackend !== undefined) candidates = candidates.filter((n) => n === req.pinnedBackend);
    if (req.allowedBackends !== undefined) candidates = candidates.filter((n) => req.allowedBackends!.includes(n));
    const able = new Set(
      this.store
        .views()
        .filter((v) => v.healthy && (v.loadsOnDemand || believedState(v, residencyOf(v), req.model) !== 'cold'))
        .map((v) => v.name),
    );
    if (candidates.some((n) => able.has(n))) return undefined;
    const probeMs = Math.max(1000, ...candidates.map((n) => this.store.spec(n)?.probe.interval_ms ?? 0));
    const message =
      req.pinnedBackend !== undefined
        ? `The backend '${req.pinnedBackend}' holding this conversation cannot serve '${req.model}' right now.`
        : `No healthy backend can serve '${req.model}' right now.`;
    return { type: 'reject', id: req.id, status: 503, code: 'no_healthy_backend', message, retryAfterS: retryAfterSeconds(probeMs) };
  }

  /** Retry-After for a full queue: the time to serve everything waiting, in rounds over all healthy slots. */
  private queueDrainSeconds(): number {
    const slots = this.store.views().reduce((n, v) => n + (v.healthy ? v.slots : 0), 0);
    return retryAfterSeconds(Math.ceil((this.queue.size + 1) / Math.max(1, slots)) * this.services.typical());
  }

  /** Retry-After for a timed-out request: the wait of one more request for its model, behind those still queued. */
  private modelWaitSeconds(model: string): number {
    const candidates = new Set(this.store.candidatesFor(model));
    const views = this.store.views().filter((v) => v.healthy && candidates.has(v.name));
    const slots = views.reduce((n, v) => n + v.slots, 0);
    const ahead = [...this.queue.values()].filter((e) => e.req.model === model).length + 1;
    const warm = views.some((v) => residencyOf(v).held.includes(model));
    const load = warm ? 0 : views.length > 0 ? Math.min(...views.map((v) => loadEstimateMs(v, model, views))) : DEFAULT_LOAD_MS;
    return retryAfterSeconds(load + Math.ceil(ahead / Math.max(1, slots)) * this.services.estimate(undefined, model));
  }

  private newCycle(now: number): DispatchCycle {
    this.forgetFinishedLoads();
    return new DispatchCycle({
      now,
      settings: this.settings,
      store: this.store,
      queued: () => this.queue.values(),
      running: this.running,
      services: this.services,
      sessions: this.sessions,
      loadStarts: this.loadStarts,
      previousHolds: this.holds,
      random: this.random,
      turns: this.turns,
    });
  }

  /** Load start times matter only while the datastore still says loading. */
  private forgetFinishedLoads(): void {
    if (this.loadStarts.size === 0) return;
    const loading = new Set<string>();
    for (const v of this.store.views()) for (const [m, mv] of v.models) if (mv.state === 'loading') loading.add(loadKey(v.name, m));
    for (const key of this.loadStarts.keys()) if (!loading.has(key)) this.loadStarts.delete(key);
  }
}

export { seededRandom };
