// The sidecar's memory of its backends: the latest probe snapshot of each,
// merged with what the sidecar knows itself (its own in-flight requests, last
// use, load events it watched, failures seen on real requests). Pure and
// clock-injected; the ext_proc path only ever reads it.
import type { BackendSpec, Policy } from '../policy/schema.ts';
import type { BackendSnapshot, ModelState } from './snapshot.ts';
import type { AccountingSink } from '../scheduler/accounting.ts';
import type { BackendStatePort } from '../scheduler/port.ts';
import type { BackendModelView, BackendView } from '../scheduler/types.ts';
import { advanceMeanLoad, IDLE_MEAN_LOAD, type MeanLoad } from '../scheduler/mean-load.ts';
import { FailureStreak, type UpstreamFailure } from './failure-evidence.ts';

export type ProbeResult = { ok: true; snapshot: BackendSnapshot } | { ok: false; error: string };

/** A change worth one log line (not repeated every probe). */
export interface Transition {
  backend: string;
  kind: 'health' | 'model';
  model?: string;
  from: string;
  to: string;
  /** For a model that became warm after loading: how long we saw it take. */
  loadMs?: number;
}

interface ModelRecord {
  backendId: string;
  state: ModelState;
  lastUsedAt?: number;
  /** When we first saw it leave cold (probe said loading, or we sent it a request while cold). */
  loadStartedAt?: number;
  /** EWMA of observed load durations. */
  loadMs?: number;
  sizeBytes?: number;
  /** The sidecar has sent this model requests here: its own observations outrank a probe that cannot tell. */
  seenBySidecar?: boolean;
  /**
   * When the sidecar itself last set this model's state (a load it started, a
   * first response, an unload it predicted). A probe taken before this is older
   * news than what the sidecar saw, so it cannot change the state.
   */
  observedAt?: number;
  /** A load the sidecar started that the server has not reported yet (some servers list a model only once loaded). */
  unconfirmedLoad?: boolean;
}

interface BackendRecord {
  spec: BackendSpec;
  /** Health from probes; `undefined` until the first probe answers. */
  probedHealthy?: boolean;
  /** A real request failed (5xx / connection error): unhealthy until a probe succeeds after this time. */
  failedAt?: number;
  failure?: string;
  snapshot?: BackendSnapshot;
  lastProbeAt?: number;
  models: Map<string, ModelRecord>; // keyed by public model name
  /** `ip:port` resolved off the request path (for ORIGINAL_DST routing). */
  address?: string;
  inFlight: number;
  inFlightByModel: Map<string, number>;
  /** Running requests (ours and others') averaged over time, advanced at every change (scheduler/mean-load.ts). */
  meanLoad: MeanLoad;
  lastUsedAt?: number;
  /** Bumped on every change to this record, so its view is rebuilt only then. */
  changes?: number;
}

const LOAD_EWMA_ALPHA = 0.5;
/**
 * A load the sidecar started and the server does not report yet is kept, once
 * no request for it is in flight there any more, for this many times the
 * model's learned load time: a client that gave up does not stop the load.
 */
const UNCONFIRMED_LOAD_WINDOW = 2;

/**
 * A backend that stays across a reload keeps its own accounting (in-flight
 * requests, last use) but only the observations the new spec still vouches
 * for: a model it no longer lists is dropped (else a model moved to another
 * backend keeps being routed to its warm copy here), a model whose alias now
 * names another server-side model starts cold, and a new URL is a new server,
 * so everything probed about the old one goes.
 */
function carryOver(prev: BackendRecord, spec: BackendSpec): BackendRecord {
  const sameServer = prev.spec.url === spec.url;
  const models = new Map<string, ModelRecord>();
  if (sameServer)
    for (const [name, m] of prev.models) {
      if (spec.models.length > 0 && !spec.models.includes(name)) continue;
      if (m.backendId !== (spec.aliases[name] ?? name)) continue;
      models.set(name, m);
    }
  const kept: BackendRecord = { ...prev, spec, models };
  if (!sameServer) {
    kept.address = undefined;
    kept.snapshot = undefined;
    kept.probedHealthy = undefined;
    kept.failedAt = undefined;
    kept.failure = undefined;
    kept.lastProbeAt = undefined;
  }
  return kept;
}

/** Implements the scheduler's read-only port and is where the edge applies the scheduler's accounting. */
export class Datastore implements BackendStatePort, AccountingSink {
  private readonly backends = new Map<string, BackendRecord>();
  private allowUnlisted: boolean;
  private defaultSlots: number;
  /** Bumped on every change so readers can cache derived views. */
  version = 0;

  constructor(policy: Policy) {
    this.allowUnlisted = policy.allow_unlisted_models;
    this.defaultSlots = policy.scheduler.default_slots;
    this.setBackends(policy);
  }

  /** Apply a (new) policy: keeps accounting of backends that stay, adds new ones, drops removed ones. */
  setBackends(policy: Policy): void {
    this.allowUnlisted = policy.allow_unlisted_models;
    this.defaultSlots = policy.scheduler.default_slots;
    const next = new Map<string, BackendRecord>();
    for (const spec of policy.backends) {
      // A backend removed and added back while its requests drain picks its accounting up again.
      const prev = this.backends.get(spec.name) ?? this.retired.get(spec.name);
      this.retired.delete(spec.name);
      const rec: BackendRecord = prev ? carryOver(prev, spec) : { spec, models: new Map(), inFlight: 0, inFlightByModel: new Map(), meanLoad: IDLE_MEAN_LOAD };
      for (const m of spec.models) if (!rec.models.has(m)) rec.models.set(m, { backendId: spec.aliases[m] ?? m, state: 'cold' });
      next.set(spec.name, rec);
    }
    // Removed backends keep their in-flight accounting until those requests end.
    for (const [name, rec] of this.backends) if (!next.has(name) && rec.inFlight > 0) this.retired.set(name, rec);
    this.backends.clear();
    for (const [k, v] of next) this.backends.set(k, v);
    // Limits and defaults may have changed for every backend: rebuild every view.
    this.viewOf = new WeakMap();
    this.version++;
  }

  private readonly retired = new Map<string, BackendRecord>();

  /** Record the resolved `ip:port` of a backend (the prober resolves hostnames, never the request path). */
  setAddress(name: string, address: string): void {
    const rec = this.backends.get(name);
    if (rec && rec.address !== address) {
      rec.address = address;
      this.touch(rec);
    }
  }

  /** Resolved `ip:port`, or the URL's own host:port when it is already an IP literal / not yet resolved. */
  address(name: string): string | undefined {
    const rec = this.backends.get(name);
    if (!rec) return undefined;
    if (!rec.address) {
      // Until the prober has resolved it (an IP literal needs no resolving): the URL's own host:port.
      const u = new URL(rec.spec.url);
      rec.address = `${u.hostname}:${u.port || (u.protocol === 'https:' ? '443' : '80')}`;
    }
    return rec.address;
  }

  specs(): BackendSpec[] {
    return [...this.backends.values()].map((b) => b.spec);
  }

  spec(name: string): BackendSpec | undefined {
    return this.backends.get(name)?.spec;
  }

  /**
   * Record a probe result; returns the transitions it caused. `takenAt` is when
   * the probe started (its answers describe the server at some moment between
   * then and `now`): model states the sidecar observed itself after that moment
   * are newer than the probe and stay.
   */
  applyProbe(name: string, result: ProbeResult, now: number, takenAt = now): Transition[] {
    const rec = this.backends.get(name);
    if (!rec) return [];
    const out: Transition[] = [];
    const wasHealthy = this.isHealthy(rec);
    rec.lastProbeAt = now;
    if (!result.ok) {
      rec.probedHealthy = false;
      rec.failure = result.error;
    } else {
      const snap = result.snapshot;
      rec.snapshot = snap;
      rec.probedHealthy = snap.healthy;
      // A request that failed after this probe started is newer news than the probe's success.
      const requestFailureStands = rec.failedAt !== undefined && takenAt < rec.failedAt;
      if (!requestFailureStands) {
        rec.failure = snap.healthy ? undefined : snap.error ?? 'unhealthy';
        if (snap.healthy) rec.failedAt = undefined;
      }
      const reported = new Map<string, { state: ModelState; sizeBytes?: number }>();
      for (const pm of snap.models) {
        const publicName = this.publicNameFor(rec.spec, pm.id);
        if (publicName === undefined) continue;
        reported.set(publicName, { state: pm.state, sizeBytes: pm.sizeBytes });
      }
      // Listed models the server did not report are cold (not loaded there).
      for (const [publicName, m] of rec.models) {
        if (!reported.has(publicName) && rec.spec.models.length > 0) reported.set(publicName, { state: 'cold', sizeBytes: m.sizeBytes });
      }
      for (const [publicName, r] of reported) {
        let m = rec.models.get(publicName);
        if (!m) {
          m = { backendId: rec.spec.aliases[publicName] ?? publicName, state: 'cold' };
          rec.models.set(publicName, m);
        }
        if (r.sizeBytes !== undefined) m.sizeBytes = r.sizeBytes;
        // A server that cannot tell what is loaded (mlx-lm) only adds models; what
        // the sidecar saw itself (a first response) stays until evidence says otherwise.
        if (!snap.knowsLoaded && m.seenBySidecar) continue;
        if (m.observedAt !== undefined && takenAt < m.observedAt) continue;
        if (r.state === 'cold' && this.loadNotYetVisible(rec, publicName, m, now)) continue;
        // The server sees the model (loading or loaded), or has definitely not got it: either way, no longer our guess.
        m.unconfirmedLoad = false;
        if (m.state !== r.state) {
          const t: Transition = { backend: name, kind: 'model', model: publicName, from: m.state, to: r.state };
          if (r.state === 'loading' && m.loadStartedAt === undefined) m.loadStartedAt = now;
          if (r.state === 'warm' && m.loadStartedAt !== undefined) {
            const took = now - m.loadStartedAt;
            t.loadMs = took;
            m.loadMs = m.loadMs === undefined ? took : m.loadMs * (1 - LOAD_EWMA_ALPHA) + took * LOAD_EWMA_ALPHA;
          }
          if (r.state !== 'loading' && r.state !== 'warm') m.loadStartedAt = undefined;
          if (r.state === 'warm') m.loadStartedAt = undefined;
          m.state = r.state;
          out.push(t);
        }
      }
    }
    const isHealthy = this.isHealthy(rec);
    if (wasHealthy !== isHealthy)
      out.unshift({ backend: name, kind: 'health', from: wasHealthy ? 'up' : 'down', to: isHealthy ? 'up' : 'down' });
    this.noteLoad(rec, now);
    this.touch(rec);
    return out;
  }

  /**
   * A real request to this backend failed. A refused connection (`connect`)
   * marks it down at once; a broken exchange or the server's own 5xx only
   * after a streak of them (see failure-evidence.ts); Envoy's own overflow
   * never. Down lasts until a probe says otherwise.
   */
  markRequestFailure(name: string, now: number, reason: string, kind: UpstreamFailure = 'connect'): Transition[] {
    const rec = this.backends.get(name);
    if (!rec || kind === 'gateway') return [];
    if (kind !== 'connect' && !this.streakOf(rec).fail(now)) return [];
    this.streakOf(rec).succeed();
    const was = this.isHealthy(rec);
    rec.failedAt = now;
    rec.failure = reason;
    this.touch(rec);
    return was ? [{ backend: name, kind: 'health', from: 'up', to: 'down' }] : [];
  }

  /** A request to this backend got a response: the failure streak (if any) is over. */
  markRequestSuccess(name: string): void {
    const rec = this.backends.get(name);
    if (rec) this.failureStreaks.get(rec)?.succeed();
  }

  /** Per record, so a backend's streak goes away with its record (reload, removal). */
  private readonly failureStreaks = new WeakMap<BackendRecord, FailureStreak>();

  private streakOf(rec: BackendRecord): FailureStreak {
    let streak = this.failureStreaks.get(rec);
    if (!streak) this.failureStreaks.set(rec, (streak = new FailureStreak()));
    return streak;
  }

  /** Our own accounting: a request was dispatched to `name` for `model`. */
  acquire(name: string, model: string, now: number): void {
    const rec = this.backends.get(name) ?? this.retired.get(name);
    if (!rec) return;
    rec.inFlight++;
    rec.inFlightByModel.set(model, (rec.inFlightByModel.get(model) ?? 0) + 1);
    rec.lastUsedAt = now;
    const m = rec.models.get(model);
    if (m) {
      m.lastUsedAt = now;
      m.seenBySidecar = true;
      // Sending a request for a cold model makes an on-demand server load it,
      // and a server at its model limit unload its least recently used idle one.
      if (m.state === 'cold') {
        this.evictForLoad(rec, model, now);
        m.state = 'loading';
        m.loadStartedAt = now;
        m.observedAt = now;
        m.unconfirmedLoad = true;
      }
    }
    this.noteLoad(rec, now);
    this.touch(rec);
  }

  /**
   * A load this sidecar started that the server does not report yet: while a
   * request for the model is in flight there, the server has it queued or
   * loading (servers do not unload a model with requests waiting on it); after
   * that, for a window of its learned load time.
   */
  private loadNotYetVisible(rec: BackendRecord, model: string, m: ModelRecord, now: number): boolean {
    if (!m.unconfirmedLoad || m.state !== 'loading') return false;
    if ((rec.inFlightByModel.get(model) ?? 0) > 0) return true;
    return m.loadMs !== undefined && m.loadStartedAt !== undefined && now < m.loadStartedAt + UNCONFIRMED_LOAD_WINDOW * m.loadMs;
  }

  private evictForLoad(rec: BackendRecord, loading: string, now: number): void {
    const limit = rec.spec.max_models ?? rec.snapshot?.maxModels;
    if (limit === undefined) return;
    const resident = [...rec.models].filter(([name, m]) => name !== loading && (m.state === 'warm' || m.state === 'loading'));
    if (resident.length < limit) return;
    const idle = resident.filter(([name]) => !rec.inFlightByModel.has(name)).sort(([, a], [, b]) => (a.lastUsedAt ?? 0) - (b.lastUsedAt ?? 0));
    const victim = idle[0]?.[1];
    if (victim) {
      victim.state = 'cold';
      victim.loadStartedAt = undefined;
      victim.observedAt = now;
      victim.unconfirmedLoad = false;
    }
  }

  /** Releases without a matching acquire (should stay 0; a double release would show here). */
  releaseUnderflows = 0;

  /** The request dispatched by `acquire` has ended. Callers guarantee exactly once per acquire. */
  release(name: string, model: string, now: number): void {
    const rec = this.backends.get(name) ?? this.retired.get(name);
    if (!rec) return;
    if (rec.inFlight === 0 || !rec.inFlightByModel.has(model)) this.releaseUnderflows++;
    rec.inFlight = Math.max(0, rec.inFlight - 1);
    const n = (rec.inFlightByModel.get(model) ?? 0) - 1;
    if (n > 0) rec.inFlightByModel.set(model, n);
    else rec.inFlightByModel.delete(model);
    rec.lastUsedAt = now;
    const m = rec.models.get(model);
    if (m) m.lastUsedAt = now;
    if (rec.inFlight === 0 && this.retired.get(name) === rec) this.retired.delete(name);
    this.noteLoad(rec, now);
    this.touch(rec);
  }

  /** A request for `model` got its first response byte from `name`: the model is warm there. */
  observeFirstByte(name: string, model: string, now: number): Transition[] {
    const rec = this.backends.get(name);
    const m = rec?.models.get(model);
    if (!rec || !m) return [];
    m.seenBySidecar = true;
    // Answering means loaded at this moment, whatever a probe started earlier says.
    m.observedAt = now;
    m.unconfirmedLoad = false;
    if (m.state === 'warm') return [];
    const t: Transition = { backend: name, kind: 'model', model, from: m.state, to: 'warm' };
    if (m.loadStartedAt !== undefined) {
      t.loadMs = now - m.loadStartedAt;
      m.loadMs = m.loadMs === undefined ? t.loadMs : m.loadMs * (1 - LOAD_EWMA_ALPHA) + t.loadMs * LOAD_EWMA_ALPHA;
    }
    m.state = 'warm';
    m.loadStartedAt = undefined;
    this.touch(rec);
    return [t];
  }

  totalInFlight(): number {
    let n = 0;
    for (const r of this.backends.values()) n += r.inFlight;
    for (const r of this.retired.values()) n += r.inFlight;
    return n;
  }

  /** The load changed (or may have): advance its time average. The same count as the view's inFlight + externalInFlight. */
  private noteLoad(rec: BackendRecord, now: number): void {
    rec.meanLoad = advanceMeanLoad(rec.meanLoad, Math.max(rec.inFlight, rec.snapshot?.inFlight ?? 0), now);
  }

  private touch(rec: BackendRecord): void {
    rec.changes = (rec.changes ?? 0) + 1;
    this.version++;
  }

  private cachedViews: { version: number; views: BackendView[] } | undefined;
  /** Each record's last view, kept while the record is unchanged: an event rebuilds only what it touched. */
  private viewOf = new WeakMap<BackendRecord, { changes: number | undefined; view: BackendView }>();

  /** The scheduler's view of every backend (a view is rebuilt only after its backend changed; treat as read-only). */
  views(): BackendView[] {
    if (this.cachedViews?.version === this.version) return this.cachedViews.views;
    const views: BackendView[] = [];
    for (const rec of this.backends.values()) {
      let cached = this.viewOf.get(rec);
      if (!cached || cached.changes !== rec.changes) this.viewOf.set(rec, (cached = { changes: rec.changes, view: this.viewFor(rec) }));
      views.push(cached.view);
    }
    this.cachedViews = { version: this.version, views };
    return views;
  }

  private viewFor(rec: BackendRecord): BackendView {
    const models = new Map<string, BackendModelView>();
    for (const [publicName, m] of rec.models)
      models.set(publicName, { backendId: m.backendId, state: m.state, lastUsedAt: m.lastUsedAt, loadMs: m.loadMs, loadStartedAt: m.loadStartedAt });
    const snap = rec.snapshot;
    return {
      name: rec.spec.name,
      healthy: this.isHealthy(rec),
      slots: rec.spec.slots ?? snap?.slots ?? this.defaultSlots,
      maxModels: rec.spec.max_models ?? snap?.maxModels ?? Infinity,
      inFlight: rec.inFlight,
      inFlightByModel: new Map(rec.inFlightByModel),
      externalInFlight: Math.max(0, (snap?.inFlight ?? 0) - rec.inFlight),
      reportedInFlight: snap?.inFlight,
      meanLoad: rec.meanLoad,
      models,
      loading: snap?.loading ?? false,
      knowsLoaded: snap?.knowsLoaded ?? true,
      loadsOnDemand: snap?.loadsOnDemand ?? true,
      sleeping: snap?.sleeping ?? false,
      freeMemoryBytes: snap?.memory?.freeBytes,
      lastUsedAt: rec.lastUsedAt,
    };
  }

  /** Is `model` something any backend may serve? (The allowlist check.) */
  isKnownModel(model: string): boolean {
    for (const rec of this.backends.values()) if (rec.models.has(model)) return true;
    return this.allowUnlisted && [...this.backends.values()].some((r) => r.spec.models.length === 0);
  }

  /** Does some backend list `model`, or report it on a probe? (Never true for a name only a client sent.) */
  hasModelRecord(model: string): boolean {
    for (const rec of this.backends.values()) if (rec.models.has(model)) return true;
    return false;
  }

  /** Backends that may serve `model`, healthy or not. */
  candidatesFor(model: string): string[] {
    const out: string[] = [];
    for (const rec of this.backends.values()) {
      if (rec.models.has(model)) out.push(rec.spec.name);
      else if (this.allowUnlisted && rec.spec.models.length === 0) out.push(rec.spec.name);
    }
    return out;
  }

  /** Union of models with their state per backend (for GET /v1/models). */
  modelCatalog(): Array<{ model: string; backends: Array<{ backend: string; state: ModelState; healthy: boolean }> }> {
    const by = new Map<string, Array<{ backend: string; state: ModelState; healthy: boolean }>>();
    for (const rec of this.backends.values()) {
      const healthy = this.isHealthy(rec);
      for (const [publicName, m] of rec.models) {
        let list = by.get(publicName);
        if (!list) by.set(publicName, (list = []));
        list.push({ backend: rec.spec.name, state: m.state, healthy });
      }
    }
    return [...by.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([model, backends]) => ({ model, backends }));
  }

  status(name: string): { healthy: boolean; failure?: string; lastProbeAt?: number } | undefined {
    const rec = this.backends.get(name);
    return rec && { healthy: this.isHealthy(rec), failure: rec.failure, lastProbeAt: rec.lastProbeAt };
  }

  private isHealthy(rec: BackendRecord): boolean {
    if (rec.failedAt !== undefined) return false;
    // Not probed yet: assume up so a fresh sidecar does not refuse traffic; the first probe corrects it.
    return rec.probedHealthy ?? true;
  }

  /** Map a backend's own model id back to the public name, honouring the allowlist. */
  private publicNameFor(spec: BackendSpec, backendId: string): string | undefined {
    for (const [publicName, id] of Object.entries(spec.aliases)) if (id === backendId) return publicName;
    if (spec.models.length === 0) return backendId;
    return spec.models.includes(backendId) ? backendId : undefined;
  }
}
