// The dispatch loop, in one place, shared by every strategy: admission, the
// queue and its limits, timeouts, cancellation, completion and accounting.
// Each call takes `now`, runs one dispatch cycle (expire, then a pass in the
// strategy's order: filter, choose, dispatch) and returns what the edge must
// do; it owns no timers. Its cost per call does not grow with the queue: the
// queue is indexed (queue-index.ts) and the pass skips what cannot change
// (pass.ts); only queueSnapshot() walks the whole queue.
import type { Policy } from '../policy/schema.ts';
import { DEFAULT_LOAD_MS, loadEstimateMs, retryAfterSeconds, ServiceTimes } from './cost.ts';
import { DispatchCycle, loadKey, type RunningRequest } from './cycle.ts';
import { DemandTracker } from './demand.ts';
import { settlePrewarms } from './prewarms.ts';
import type { Hold, Placement } from './framework.ts';
import { runPass, type PassHooks, type PassResult } from './pass.ts';
import { QueueIndex, groupKeyOf } from './queue-index.ts';
import { StagedViews } from './accounting.ts';
import type { BackendStatePort } from './port.ts';
import { believedState, residencyOf } from './residency.ts';
import { Ring } from './ring.ts';
import { SessionTable } from './sessions.ts';
import { settingsFrom, type SchedulerSettings } from './settings.ts';
import { STRATEGIES, type Choice, type Strategy } from './strategies/index.ts';
import { rankQueue, type OrderContext } from './strategies/ordering.ts';
import type { CompletionInfo, DecisionRecord, PrewarmOutcome, QueueSnapshotEntry, RequestInfo, SchedulerCore, SchedulerOutcome } from './types.ts';
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
type Release = Extract<SchedulerOutcome, { type: 'release' }>;

export class QueueingScheduler implements SchedulerCore {
  private settings: SchedulerSettings;
  private strategy: Strategy;
  /** Waiting requests, by arrival and by group (model, pin). */
  protected readonly queue = new QueueIndex();
  private readonly running = new Map<string, RunningRequest>();
  private readonly services = new ServiceTimes();
  private readonly demand = new DemandTracker();
  private readonly sessions: SessionTable;
  private readonly decisions: Ring<DecisionRecord>;
  private readonly loadStarts = new Map<string, number>();
  /** Pre-warms started and not yet settled, by backend and model. */
  private readonly prewarming = new Map<string, PrewarmOutcome>();
  private readonly turns = new Map<string, number>();
  private readonly random: () => number;
  /** Holds of the last cycle, by backend. */
  private holds = new Map<string, Hold>();
  private waitReasons = new Map<string, string>();
  /** Why the last pass left each group waiting, and the strict-FIFO blocker: reasons for requests it skipped. */
  private lastPass: PassResult = { groupReasons: new Map() };
  /** Earliest time a wait decision asked to be re-examined. */
  private recheckAt: number | undefined;
  private seq = 0;
  private lastNow = 0;
  /** The port's views plus this call's own accounting, until the edge applies it. */
  private readonly staged: StagedViews;
  /** What the cycle and the rules read: the port, with staged views. */
  private readonly store: BackendStatePort;

  constructor(
    policy: Policy,
    port: BackendStatePort,
    opts: SchedulerOptions = {},
  ) {
    this.staged = new StagedViews(port);
    this.store = { views: () => this.staged.views(), isKnownModel: (m) => port.isKnownModel(m), candidatesFor: (m) => port.candidatesFor(m) };
    this.settings = settingsFrom(policy);
    this.strategy = STRATEGIES[this.settings.strategy];
    this.sessions = new SessionTable(this.settings.sessionMaxEntries, this.settings.sessionTtlMs);
    this.decisions = new Ring(opts.decisionHistory ?? DEFAULT_DECISION_HISTORY);
    this.random = opts.random ?? seededRandom(RANDOM_SEED);
  }

  submit(req: RequestInfo, now: number): SchedulerOutcome[] {
    return this.call(now, () => this.admit(req, now));
  }

  cancel(id: string, now: number): SchedulerOutcome[] {
    return this.call(now, () => this.end(id, now));
  }

  complete(id: string, now: number, info: CompletionInfo): SchedulerOutcome[] {
    return this.call(now, () => this.end(id, now, info));
  }

  tick(now: number): SchedulerOutcome[] {
    return this.call(now, () => this.dispatch(now));
  }

  /** One call from the edge: its accounting is staged until the edge applies the outcomes, which it does before the next call. */
  private call(now: number, body: () => SchedulerOutcome[]): SchedulerOutcome[] {
    this.lastNow = now;
    this.staged.reset();
    try {
      return body();
    } finally {
      this.staged.reset();
    }
  }

  private admit(req: RequestInfo, now: number): SchedulerOutcome[] {
    if (this.queue.has(req.id) || this.running.has(req.id)) throw new Error(`request id ${req.id} is already scheduled`);
    if (!this.store.isKnownModel(req.model))
      return [{ type: 'reject', id: req.id, status: 404, code: 'model_not_found', message: `The model '${req.model}' is not served by any backend.` }];
    const unservable = this.unservable(req);
    if (unservable) return [unservable];
    this.demand.arrived(req.model, now);
    this.queue.add({ req, seq: this.seq++, enqueuedAt: now });
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

  /**
   * The request is over (completed, with `info`) or its client left. Still
   * queued: it never starts. Running: its slot is released exactly once.
   */
  private end(id: string, now: number, info?: CompletionInfo): SchedulerOutcome[] {
    if (this.queue.has(id)) {
      this.forget(id);
      return this.dispatch(now);
    }
    const r = this.running.get(id);
    if (!r) return [];
    this.running.delete(id);
    this.demand.change(r.model, -1, now);
    this.staged.release(r.backend, r.model, now);
    // The duration includes the load it waited for; learn the service time
    // alone. A load it started has usually been measured by now (datastore).
    if (info?.ok) this.services.observe(r.backend, r.model, info.durationMs - this.loadWaitOf(r));
    const release: Release = { type: 'release', id, backend: r.backend, model: r.model };
    return [release, ...this.dispatch(now)];
  }

  nextWakeAt(): number | undefined {
    if (this.queue.size === 0) return undefined;
    const now = this.lastNow;
    let next = Infinity;
    const consider = (t: number) => {
      if (t > now && t < next) next = t;
    };
    // The oldest request times out first; the oldest not yet starving starves next.
    const oldest = this.queue.oldest();
    if (oldest) consider(oldest.enqueuedAt + this.settings.queueTimeoutMs);
    const starveAfter = this.starveAfterMs();
    const fresh = this.strategy.agingBound ? this.queue.oldestFresh(now, starveAfter) : undefined;
    if (fresh) consider(fresh.enqueuedAt + starveAfter);
    // Verdicts that change with time alone (a sticky window ending).
    for (const f of this.strategy.filters)
      if (f.nextChangeAt)
        for (const view of this.store.views()) {
          const at = f.nextChangeAt(view, this.settings, now);
          if (at !== undefined) consider(at);
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

  trackedSessions(): number {
    return this.sessions.size();
  }

  recentDecisions(): DecisionRecord[] {
    return this.decisions.toArray();
  }

  queueSnapshot(now: number = this.lastNow): QueueSnapshotEntry[] {
    if (this.queue.size === 0) return [];
    const cycle = this.newCycle(now);
    const holding = new Map([...this.holds.values()].map((h) => [h.requestId, h.backend]));
    const { blocker, groupReasons } = this.lastPass;
    const reasonOf = (p: Placement) =>
      this.waitReasons.get(p.entry.req.id) ??
      (blocker !== undefined ? `behind ${blocker} (strict FIFO)` : groupReasons.get(groupKeyOf(p.entry.req)));
    return rankQueue(this.strategy.order, this.queue.values(), this.orderContext(cycle)).map((p) => ({
      id: p.entry.req.id,
      model: p.model,
      sessionKey: p.entry.req.sessionKey,
      position: p.rank,
      ageMs: now - p.entry.enqueuedAt,
      priority: Math.round(p.priority * 1000) / 1000,
      starving: p.starving,
      holding: holding.get(p.entry.req.id),
      waitingReason: reasonOf(p),
    }));
  }

  /** One dispatch cycle. */
  private dispatch(now: number): SchedulerOutcome[] {
    const out: SchedulerOutcome[] = this.expire(now);
    this.recheckAt = undefined;
    if (this.queue.size === 0) {
      this.holds = new Map();
      this.waitReasons = new Map();
      this.lastPass = { groupReasons: new Map() };
      if (this.prewarming.size > 0) out.push(...settlePrewarms(this.prewarming, this.newCycle(now), now));
      return out;
    }
    const cycle = this.newCycle(now);
    out.push(...settlePrewarms(this.prewarming, cycle, now));
    // A backend loading a model ahead keeps other models off it until the load is done.
    for (const w of this.prewarming.values()) cycle.addHold({ backend: w.backend, model: w.model, requestId: `prewarm:${w.model}`, rank: -1, why: 'prewarm' });
    const reasons = new Map<string, string>();
    const waiting: Placement[] = [];
    this.lastPass = this.pass(cycle, {
      dispatch: (p, choice) => {
        out.push(this.start(p, choice, cycle, now));
        cycle.refresh();
      },
      wait: (p, choice) => {
        reasons.set(p.entry.req.id, choice.why);
        waiting.push(p);
        if (choice.hold) cycle.addHold({ backend: choice.hold.backend, model: p.model, requestId: p.entry.req.id, rank: p.rank, why: choice.hold.why });
        if (choice.recheckAt !== undefined) this.recheckAt = Math.min(this.recheckAt ?? Infinity, choice.recheckAt);
      },
    });
    out.push(...this.startPrewarms(waiting, cycle, reasons, now));
    this.holds = cycle.holds;
    this.waitReasons = reasons;
    return out;
  }

  /** Loads the strategy starts ahead for requests still waiting (pre-warm, hedged cold start). */
  private startPrewarms(waiting: readonly Placement[], cycle: DispatchCycle, reasons: Map<string, string>, now: number): PrewarmOutcome[] {
    if (!this.strategy.planPrewarms || waiting.length === 0) return [];
    const active = [...this.prewarming.values()];
    const plans = this.strategy.planPrewarms(waiting, cycle, { busyBackends: new Set(active.map((w) => w.backend)), models: new Set(active.map((w) => w.model)) });
    const out: PrewarmOutcome[] = [];
    for (const plan of plans) {
      const b = cycle.backend(plan.backend)!;
      const o: PrewarmOutcome = { type: 'prewarm', action: 'start', ...plan, backendModelId: b.view.models.get(plan.model)?.backendId ?? plan.model, at: now };
      this.prewarming.set(loadKey(plan.backend, plan.model), o);
      cycle.addHold({ backend: plan.backend, model: plan.model, requestId: `prewarm:${plan.model}`, rank: -1, why: 'prewarm' });
      for (const p of waiting) if (p.model === plan.model) reasons.set(p.entry.req.id, `${reasons.get(p.entry.req.id) ?? 'waiting'}; pre-warming ${plan.model} on ${plan.backend}`);
      out.push(o);
    }
    return out;
  }

  /**
   * When a request starts starving. With an aging bound (warm-first), ahead
   * of aging_ms by the time a held slot takes to free: the learned service
   * time, rounded up to a power of two so the queue's starvation cursor is
   * rarely rebuilt, and at most a quarter of aging_ms. A starving request
   * holds the backend that frees first, so it leaves the queue by aging_ms
   * unless the requests it waits for run longer than usual.
   */
  private starveAfterMs(): number {
    const aging = this.settings.agingMs;
    if (!this.strategy.agingBound) return aging;
    return aging - Math.min(aging / 4, 2 ** Math.ceil(Math.log2(Math.max(1, this.services.typical()))));
  }

  /** The pass over the queue in the strategy's order (a test swaps in a full re-rank as its reference). */
  protected pass(cycle: DispatchCycle, hooks: PassHooks): PassResult {
    return runPass(this.queue, this.strategy, cycle, this.orderContext(cycle), hooks);
  }

  /** Which models are represented, as the cycle began: the order's warm bonus and diversity pass read it. */
  protected orderContext(cycle: DispatchCycle): OrderContext {
    const represented = new Map<string, boolean>();
    const starveAfter = this.starveAfterMs();
    return {
      now: cycle.now,
      settings: starveAfter === this.settings.agingMs ? this.settings : { ...this.settings, agingMs: starveAfter },
      isRepresented: (model) => {
        let r = represented.get(model);
        if (r === undefined) represented.set(model, (r = cycle.isRepresented(model)));
        return r;
      },
    };
  }

  protected get currentStrategy(): Strategy {
    return this.strategy;
  }

  private start(p: Placement, choice: Extract<Choice, { kind: 'dispatch' }>, cycle: DispatchCycle, now: number): SchedulerOutcome {
    const { req } = p.entry;
    const b = choice.option.backend;
    const startDelayMs = cycle.expectedStartMs(b, p.model);
    const evicts = choice.option.fit.kind === 'evict' ? choice.option.fit.victim : undefined;
    this.staged.acquire(b.name, p.model, now);
    this.demand.change(p.model, 1, now);
    // A request sent where its model was being pre-warmed uses that load: the pre-warm is done.
    this.prewarming.delete(loadKey(b.name, p.model));
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

  /** Requests that waited out the queue timeout: the oldest first. */
  private expire(now: number): Reject[] {
    const out: Reject[] = [];
    for (let e = this.queue.oldest(); e && now - e.enqueuedAt >= this.settings.queueTimeoutMs; e = this.queue.oldest()) {
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
    this.queue.remove(id);
    this.waitReasons.delete(id);
    for (const [backend, h] of this.holds) if (h.requestId === id) this.holds.delete(backend);
  }

  /**
   * No healthy backend may serve the request: none is up, or those that are
   * neither hold the model nor load models on demand (nor can be asked to
   * load it through a pre-warm). Refused at once rather
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
        .filter((v) => v.healthy && (v.loadsOnDemand || this.prewarms(v.name) || believedState(v, residencyOf(v), req.model) !== 'cold'))
        .map((v) => v.name),
    );
    if (candidates.some((n) => able.has(n))) return undefined;
    const probeMs = Math.max(1000, ...candidates.map((n) => this.settings.probeIntervalMs(n) ?? 0));
    const message =
      req.pinnedBackend !== undefined
        ? `The backend '${req.pinnedBackend}' holding this conversation cannot serve '${req.model}' right now.`
        : `No healthy backend can serve '${req.model}' right now.`;
    return { type: 'reject', id: req.id, status: 503, code: 'no_healthy_backend', message, retryAfterS: retryAfterSeconds(probeMs) };
  }

  /** The strategy pre-warms and this backend's server has a load call: it can serve a model it does not hold yet. */
  private prewarms(backend: string): boolean {
    return this.strategy.planPrewarms !== undefined && this.settings.canPrewarm(backend);
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
    const ahead = this.queue.count(model) + 1;
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
      queuedFor: (model, backend) => this.queue.countFor(model, backend),
      running: this.running,
      services: this.services,
      demand: this.demand,
      queuedGroups: () => [...this.queue.groups()].map((g) => ({ model: g.model, pinnedBackend: g.pinnedBackend, allowedBackends: g.allowedBackends, entries: () => g.list.values() })),
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
