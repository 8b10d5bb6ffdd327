// One simulated server in virtual time, with the simulator's rules
// (sim/core/residency.ts, sim/core/engine.ts): loads and evictions run one at a
// time through a FIFO job queue; a full server unloads its least recently used
// idle model (a busy one only when every resident model is busy, after it
// drains); a request holds its model from the moment it is granted, then waits
// for a slot (per server or per model instance) and runs for its service time.
import type { EventQueue } from './event-queue.ts';
import type { ModelModel, ServerModel } from './fleet-model.ts';

type State = 'cold' | 'loading' | 'warm' | 'draining' | 'stopping';

interface Resident {
  spec: ModelModel;
  state: State;
  inUse: number;
  lastUsed: number;
}

export interface Work {
  id: string;
  model: string;
  serviceMs: number;
  /** The request starts generating (model warm, slot held). */
  started(now: number): void;
  ended(now: number): void;
}

interface Job {
  target: Resident;
  waiters: Work[];
}

interface Pool {
  free: number;
  queue: Work[];
}

export interface ServerEvent {
  kind: 'load-start' | 'load-end' | 'evict-end';
  backend: string;
  model: string;
  at: number;
}

export class VirtualServer {
  private readonly models = new Map<string, Resident>();
  private readonly jobs: Job[] = [];
  private readonly pools = new Map<string, Pool>();
  /** The current job is waiting for this model to go idle before unloading it. */
  private drainingFor: Resident | undefined;
  private busy = false;
  private clock = 0;

  constructor(
    readonly spec: ServerModel,
    private readonly events: EventQueue,
    private readonly changed: (e: ServerEvent) => void,
  ) {
    for (const m of spec.models.values()) this.models.set(m.name, { spec: m, state: m.warmAtStart ? 'warm' : 'cold', inUse: 0, lastUsed: m.warmAtStart ? ++this.clock : 0 });
  }

  /** What a probe reports: resident models by backend id, with their state. */
  snapshot(): Array<{ id: string; state: 'warm' | 'loading' }> {
    const out: Array<{ id: string; state: 'warm' | 'loading' }> = [];
    for (const m of this.models.values()) {
      if (m.state === 'warm' || m.state === 'draining') out.push({ id: m.spec.backendId, state: 'warm' });
      else if (m.state === 'loading') out.push({ id: m.spec.backendId, state: 'loading' });
    }
    return out;
  }

  isLoading(): boolean {
    return this.busy;
  }

  submit(w: Work, now: number): void {
    const m = this.models.get(w.model);
    if (!m) throw new Error(`${this.spec.name} does not serve ${w.model}`);
    if (m.state === 'warm') {
      this.hold(m);
      this.toSlot(w, now);
      return;
    }
    // Jobs leave the list when granted, so any job for this model still takes waiters.
    let job = this.jobs.find((j) => j.target === m);
    if (!job) {
      job = { target: m, waiters: [] };
      this.jobs.push(job);
    }
    job.waiters.push(w);
    this.pump(now);
  }

  /** Start loading a model without a request (a pre-warm through the server's load API), as sim's Residency.load does. */
  preload(model: string, now: number): void {
    const m = this.models.get(model);
    if (!m || m.state === 'warm' || m.state === 'loading' || this.jobs.some((j) => j.target === m)) return;
    this.jobs.push({ target: m, waiters: [] });
    this.pump(now);
  }

  private hold(m: Resident): void {
    m.inUse++;
    m.lastUsed = ++this.clock;
  }

  private release(m: Resident, now: number): void {
    m.inUse--;
    if (m.inUse === 0 && this.drainingFor === m) {
      this.drainingFor = undefined;
      this.stop(m, now);
    }
  }

  private pool(model: string): Pool {
    const key = this.spec.slotScope === 'server' ? '*' : model;
    let p = this.pools.get(key);
    if (!p) {
      p = { free: this.spec.slots, queue: [] };
      this.pools.set(key, p);
    }
    return p;
  }

  private toSlot(w: Work, now: number): void {
    const p = this.pool(w.model);
    if (p.free === 0) {
      p.queue.push(w);
      return;
    }
    p.free--;
    this.run(w, p, now);
  }

  private run(w: Work, p: Pool, now: number): void {
    w.started(now);
    this.events.at(now + w.serviceMs, (end) => {
      p.free++;
      const next = p.queue.shift();
      if (next) {
        p.free--;
        this.run(next, p, end);
      }
      this.release(this.models.get(w.model)!, end);
      w.ended(end);
    });
  }

  /** Run the next load job, if none is running. */
  private pump(now: number): void {
    if (this.busy) return;
    const job = this.jobs[0];
    if (!job) return;
    this.busy = true;
    this.makeRoom(job, now);
  }

  private resident(): Resident[] {
    return [...this.models.values()].filter((m) => m.state === 'warm' || m.state === 'draining');
  }

  private makeRoom(job: Job, now: number): void {
    if (job.target.state === 'warm') return this.grant(job, now);
    if (this.resident().length < this.spec.maxLoaded) return this.load(job, now);
    const candidates = this.resident()
      .filter((m) => m !== job.target && m.state === 'warm')
      .sort((a, b) => a.lastUsed - b.lastUsed);
    const victim = candidates.find((m) => m.inUse === 0) ?? candidates[0];
    if (!victim) return this.load(job, now);
    victim.state = 'draining';
    if (victim.inUse > 0) this.drainingFor = victim;
    else this.stop(victim, now);
  }

  private stop(victim: Resident, now: number): void {
    victim.state = 'stopping';
    this.events.at(now + this.spec.unloadMs, (t) => {
      victim.state = 'cold';
      this.changed({ kind: 'evict-end', backend: this.spec.name, model: victim.spec.name, at: t });
      this.makeRoom(this.jobs[0]!, t);
    });
  }

  private load(job: Job, now: number): void {
    const m = job.target;
    m.state = 'loading';
    this.changed({ kind: 'load-start', backend: this.spec.name, model: m.spec.name, at: now });
    this.events.at(now + m.spec.loadMs, (t) => {
      m.state = 'warm';
      m.lastUsed = ++this.clock;
      this.changed({ kind: 'load-end', backend: this.spec.name, model: m.spec.name, at: t });
      this.grant(job, t);
    });
  }

  private grant(job: Job, now: number): void {
    this.jobs.shift();
    this.busy = false;
    for (const w of job.waiters) {
      this.hold(job.target);
      this.toSlot(w, now);
    }
    this.pump(now);
  }
}
