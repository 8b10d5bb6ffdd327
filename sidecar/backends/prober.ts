// The background prober: keeps every backend's snapshot in the datastore fresh. It runs on
// timers only, never on the request path (the ext_proc path reads the datastore, nothing else).
//
// Per backend: one probe at a time (single-flight); the next one `probe.interval_ms` ±10 %
// after the last ended (jitter keeps many sidecars from probing in lockstep); a failing backend
// waits interval × 2^(failures-1), capped at `probe.max_backoff_ms`, and is not probed sooner
// even on request (negative cache); the first success returns it to the normal interval.
// Hostnames are resolved here and stored as `ip:port` for ORIGINAL_DST routing.
// Clock and timers are injected so all of this is testable without waiting.
import { isIP } from 'node:net';

import type { BackendKind, BackendSpec, Policy } from '../policy/schema.ts';
import { describeError } from './adapters/answers.ts';
import { unhealthy } from './adapters/define.ts';
import { httpForSpec } from './adapters/http.ts';
import { adapterFor as defaultAdapterFor } from './adapters/index.ts';
import type { Adapter, ProbeHttp } from './adapters/types.ts';
import type { Clock } from '../control/clock.ts';
import type { Datastore, ProbeResult, Transition } from './datastore.ts';
import { formatAddress, hostAndPort, resolveHost } from './resolve.ts';
import type { BackendSnapshot } from './snapshot.ts';

/** The sidecar's one clock (control/clock.ts). */
export type ProberClock<H> = Clock<H>;

export interface ProberDeps<H> {
  clock: ProberClock<H>;
  /** Default: undici fetch with the backend's `probe.timeout_ms`. */
  httpFor?(spec: BackendSpec): ProbeHttp;
  /** Hostname → IP. Default: dns.lookup. */
  resolve?(host: string): Promise<string>;
  adapterFor?(kind: BackendKind): Adapter;
  /** Each change the datastore reports (health up/down, model warm/cold/loading): once per change, not per probe. */
  onTransition?(t: Transition): void;
  /** Every probe: `ok` is false when it counts as a failure (and backs off). */
  onProbe?(name: string, ok: boolean, ms: number): void;
  /** Uniform in [0, 1); Math.random by default. */
  random?(): number;
}

/** Relative spread of every delay. */
export const JITTER = 0.1;
/** A hostname is looked up again after this long (and after every failed probe). */
export const RESOLVE_EVERY_MS = 30_000;
/** A probe (several GETs, each bounded by timeout_ms) is abandoned after this many timeouts. */
export const PROBE_DEADLINE_TIMEOUTS = 3;


interface Entry<H> {
  name: string;
  /** What decides how to probe; a change of any of these replaces the entry. */
  identity: string;
  spec: BackendSpec;
  http: ProbeHttp;
  timer?: H;
  running?: Promise<void>;
  /** Consecutive failed probes. */
  failures: number;
  /** When the next probe is due; while failing, no probe happens before it. */
  dueAt?: number;
  resolvedAt?: number;
}

function identityOf(spec: BackendSpec): string {
  return JSON.stringify([spec.kind, spec.url, spec.probe.interval_ms, spec.probe.timeout_ms, spec.probe.max_backoff_ms]);
}

/** Unhealthy with nothing learned is a failed probe; a snapshot with models (say, a model loading) still tells the datastore something. */
function toResult(snapshot: BackendSnapshot): { result: ProbeResult; failed: boolean } {
  // A loading server answers, it just cannot serve yet: keep probing at the normal pace to see it come up.
  const failed = !snapshot.healthy && !snapshot.loading;
  if (snapshot.healthy || snapshot.models.length > 0) return { result: { ok: true, snapshot }, failed };
  return { result: { ok: false, error: snapshot.error ?? 'unhealthy' }, failed };
}

export class Prober<H = unknown> {
  private readonly entries = new Map<string, Entry<H>>();
  private running = false;
  private readonly clock: ProberClock<H>;
  private readonly httpFor: (spec: BackendSpec) => ProbeHttp;
  private readonly resolve: (host: string) => Promise<string>;
  private readonly adapterFor: (kind: BackendKind) => Adapter;
  private readonly random: () => number;

  constructor(
    private readonly store: Datastore,
    private readonly deps: ProberDeps<H>,
  ) {
    this.clock = deps.clock;
    this.httpFor = deps.httpFor ?? ((spec) => httpForSpec(spec));
    this.resolve = deps.resolve ?? resolveHost;
    this.adapterFor = deps.adapterFor ?? defaultAdapterFor;
    this.random = deps.random ?? Math.random;
    this.sync();
  }

  /** Probe every backend now, then keep probing on each one's own schedule. */
  start(): void {
    if (this.running) return;
    this.running = true;
    for (const entry of this.entries.values()) if (!entry.running) this.schedule(entry, 0);
  }

  /** No further probes; a probe already under way still completes and is recorded. */
  stop(): void {
    this.running = false;
    for (const entry of this.entries.values()) this.cancelTimer(entry);
  }

  /** Follow the datastore's backends (after `store.setBackends(policy)`): new ones are probed at once, removed ones forgotten, changed ones start afresh. */
  sync(): void {
    const specs = new Map(this.store.specs().map((s) => [s.name, s]));
    for (const [name, entry] of this.entries) {
      const spec = specs.get(name);
      if (spec && identityOf(spec) === entry.identity) {
        entry.spec = spec;
        continue;
      }
      this.cancelTimer(entry);
      this.entries.delete(name);
    }
    for (const spec of specs.values()) {
      if (this.entries.has(spec.name)) continue;
      const entry: Entry<H> = { name: spec.name, identity: identityOf(spec), spec, http: this.httpFor(spec), failures: 0 };
      this.entries.set(spec.name, entry);
      if (this.running) this.schedule(entry, 0);
    }
  }

  /** Apply a reloaded policy to the datastore and follow it. */
  setPolicy(policy: Policy): void {
    this.store.setBackends(policy);
    this.sync();
  }

  /**
   * Probe `name` now, unless a probe of it is already running (then wait for that one) or it is failing and
   * its backoff has not run out (then do nothing). Resolves once the result is in the datastore.
   */
  probeNow(name: string): Promise<void> {
    const entry = this.entries.get(name);
    if (!entry) return Promise.resolve();
    if (entry.running) return entry.running;
    if (entry.failures > 0 && entry.dueAt !== undefined && this.clock.now() < entry.dueAt) return Promise.resolve();
    return this.run(entry);
  }

  /** For status pages: the prober's own view of a backend. */
  state(name: string): { failures: number; dueAt?: number; probing: boolean } | undefined {
    const entry = this.entries.get(name);
    return entry && { failures: entry.failures, dueAt: entry.dueAt, probing: entry.running !== undefined };
  }

  private schedule(entry: Entry<H>, delayMs: number): void {
    this.cancelTimer(entry);
    entry.timer = this.clock.setTimeout(() => {
      entry.timer = undefined;
      if (this.entries.get(entry.name) === entry && !entry.running) void this.run(entry);
    }, Math.max(0, delayMs));
  }

  private cancelTimer(entry: Entry<H>): void {
    if (entry.timer === undefined) return;
    this.clock.clearTimeout(entry.timer);
    entry.timer = undefined;
  }

  private run(entry: Entry<H>): Promise<void> {
    this.cancelTimer(entry);
    const probe = (async () => {
      const started = this.clock.now();
      try {
        await this.probeOnce(entry, started);
      } catch {
        // Only a throwing datastore could get here. Count it as a failure so the backoff still applies,
        // and keep the rejection from escaping a timer callback (it would end the process).
        entry.failures++;
        entry.dueAt = this.clock.now() + this.nextDelay(entry);
        this.notify(() => this.deps.onProbe?.(entry.name, false, this.clock.now() - started));
      } finally {
        entry.running = undefined;
        if (this.running && this.entries.get(entry.name) === entry) this.schedule(entry, (entry.dueAt ?? this.clock.now()) - this.clock.now());
      }
    })();
    entry.running = probe;
    return probe;
  }

  private async probeOnce(entry: Entry<H>, started: number): Promise<void> {
    // The latest spec, for models and aliases a reload may have changed without touching how to probe.
    const spec = this.store.spec(entry.name) ?? entry.spec;
    const probe = (async () => {
      await this.refreshAddress(entry, started);
      return this.adapterFor(spec.kind).probe(entry.http, spec);
    })();
    const outcome = toResult(await this.withDeadline(probe, spec));
    // Removed or replaced while probing: this answer is about a backend that no longer exists in this form.
    if (this.entries.get(entry.name) !== entry) return;
    const now = this.clock.now();
    // The probe's start, not its end: what it reports may predate a dispatch made while it was under way.
    const transitions = this.store.applyProbe(entry.name, outcome.result, now, started);
    entry.failures = outcome.failed ? entry.failures + 1 : 0;
    entry.dueAt = now + this.nextDelay(entry);
    for (const t of transitions) this.notify(() => this.deps.onTransition?.(t));
    this.notify(() => this.deps.onProbe?.(entry.name, !outcome.failed, now - started));
  }

  /** Stores `ip:port` (IP literals as they are); a lookup failure fails the probe: a backend we cannot address is down to us. */
  private async refreshAddress(entry: Entry<H>, now: number): Promise<void> {
    const fresh = entry.resolvedAt !== undefined && entry.failures === 0 && now - entry.resolvedAt < RESOLVE_EVERY_MS;
    if (fresh) return;
    const { host, port } = hostAndPort(entry.spec.url);
    let ip = host;
    if (!isIP(host)) {
      try {
        ip = await this.resolve(host);
      } catch (err) {
        throw new Error(`resolve ${host}: ${describeError(err)}`);
      }
    }
    if (this.entries.get(entry.name) !== entry) return;
    entry.resolvedAt = now;
    this.store.setAddress(entry.name, formatAddress(ip, port));
  }

  /** A safety net over lookup and adapter: each GET has its own timeout, but a probe must end even if something never settles. */
  private withDeadline(probe: Promise<BackendSnapshot>, spec: BackendSpec): Promise<BackendSnapshot> {
    const ms = spec.probe.timeout_ms * PROBE_DEADLINE_TIMEOUTS;
    return new Promise((resolve) => {
      const timer = this.clock.setTimeout(() => resolve(unhealthy(`probe took longer than ${ms} ms`)), ms);
      probe.then(
        (snapshot) => {
          this.clock.clearTimeout(timer);
          resolve(snapshot);
        },
        (err: unknown) => {
          this.clock.clearTimeout(timer);
          resolve(unhealthy(describeError(err)));
        },
      );
    });
  }

  private nextDelay(entry: Entry<H>): number {
    const { interval_ms, max_backoff_ms } = entry.spec.probe;
    const cap = Math.max(interval_ms, max_backoff_ms);
    const base = entry.failures === 0 ? interval_ms : Math.min(cap, interval_ms * 2 ** (entry.failures - 1));
    return Math.round(base * (1 + (this.random() * 2 - 1) * JITTER));
  }

  /** A throwing log or metrics sink must not stop probing. */
  private notify(fn: () => void): void {
    try {
      fn();
    } catch {
      // Deliberately dropped: the callback's owner reports its own errors.
    }
  }
}
