// A simulated set of LRU model servers: the ground truth the scheduler's
// belief is checked against. Each backend has slots and a max number of
// models; a request for a model it does not hold loads it, unloading the
// least recently used idle model when full. A load that would need to unload
// a model with requests running is a violation (a real server would cut a
// generation or refuse). Probes report what it holds to the datastore.
import type { Datastore } from '../../backends/datastore.ts';
import type { Policy } from '../../policy/schema.ts';
import type { SchedulerOutcome } from '../types.ts';

interface Resident {
  readyAt: number;
  lastUsed?: number;
}

interface ServerState {
  slots: number;
  maxModels: number;
  resident: Map<string, Resident>;
  running: Map<string, string>;
  healthy: boolean;
}

export interface Load {
  backend: string;
  model: string;
  at: number;
  evicted?: string;
}

export class World {
  readonly servers = new Map<string, ServerState>();
  readonly loads: Load[] = [];
  readonly violations: string[] = [];

  constructor(
    policy: Policy,
    private readonly store: Datastore,
    private readonly loadMs: (backend: string, model: string) => number = () => 5_000,
  ) {
    for (const b of policy.backends)
      this.servers.set(b.name, { slots: b.slots ?? policy.scheduler.default_slots, maxModels: b.max_models ?? Infinity, resident: new Map(), running: new Map(), healthy: true });
  }

  /** A model already loaded at the start (and reported). */
  preload(backend: string, model: string, now: number): void {
    this.server(backend).resident.set(model, { readyAt: now });
    this.probe(now);
  }

  setHealthy(backend: string, healthy: boolean, now: number): void {
    this.server(backend).healthy = healthy;
    this.probe(now);
  }

  /** Apply the dispatch outcomes of one scheduler call. */
  apply(outcomes: readonly SchedulerOutcome[], now: number): void {
    for (const o of outcomes) if (o.type === 'dispatch') this.dispatch(o.id, o.record.backend, o.record.model, now);
  }

  /** A request reached `backend`: returns when it can start producing (after any load). */
  dispatch(id: string, backend: string, model: string, now: number): number {
    const s = this.server(backend);
    if (!s.healthy) this.violations.push(`${id}: sent to unhealthy ${backend}`);
    if (s.running.size >= s.slots) this.violations.push(`${id}: ${backend} has no free slot (${s.running.size}/${s.slots})`);
    const r = this.ensureLoaded(id, backend, model, now);
    r.lastUsed = now;
    s.running.set(id, model);
    return Math.max(now, r.readyAt);
  }

  /** A load through the server's load API (a pre-warm): no slot taken. Returns when the model is ready. */
  prewarm(backend: string, model: string, now: number): number {
    const s = this.server(backend);
    if (!s.healthy) this.violations.push(`pre-warm of ${model}: sent to unhealthy ${backend}`);
    const known = s.resident.has(model);
    const r = this.ensureLoaded(`pre-warm of ${model}`, backend, model, now);
    if (!known) this.prewarmLoads++;
    return Math.max(now, r.readyAt);
  }

  /** Loads started by pre-warms (also counted in `loads`). */
  prewarmLoads = 0;

  private ensureLoaded(id: string, backend: string, model: string, now: number): Resident {
    const s = this.server(backend);
    let r = s.resident.get(model);
    if (!r) {
      let evicted: string | undefined;
      if (s.resident.size >= s.maxModels) {
        const busy = new Set(s.running.values());
        const idle = [...s.resident.entries()].filter(([m]) => !busy.has(m));
        idle.sort(([a, x], [b, y]) => (x.lastUsed ?? -Infinity) - (y.lastUsed ?? -Infinity) || (a < b ? -1 : 1));
        const victim = idle[0]?.[0];
        if (victim === undefined) this.violations.push(`${id}: ${backend} must unload a running model to load ${model}`);
        else {
          s.resident.delete(victim);
          evicted = victim;
        }
      }
      r = { readyAt: now + this.loadMs(backend, model) };
      s.resident.set(model, r);
      this.loads.push({ backend, model, at: now, evicted });
    }
    return r;
  }

  finish(id: string, now: number): void {
    for (const s of this.servers.values()) {
      const model = s.running.get(id);
      if (model === undefined) continue;
      s.running.delete(id);
      const r = s.resident.get(model);
      if (r) r.lastUsed = now;
    }
  }

  runningOn(backend: string): number {
    return this.server(backend).running.size;
  }

  /** Report every server's residency to the datastore. */
  probe(now: number): void {
    for (const [name, s] of this.servers) {
      if (!s.healthy) {
        this.store.applyProbe(name, { ok: false, error: 'down' }, now);
        continue;
      }
      this.store.applyProbe(
        name,
        {
          ok: true,
          snapshot: {
            healthy: true,
            knowsLoaded: true,
            loading: [...s.resident.values()].some((r) => r.readyAt > now),
            models: [...s.resident.entries()].map(([id, r]) => ({ id, state: r.readyAt > now ? ('loading' as const) : ('warm' as const) })),
          },
        },
        now,
      );
    }
  }

  private server(name: string): ServerState {
    const s = this.servers.get(name);
    if (!s) throw new Error(`no server ${name}`);
    return s;
  }
}
