// Which models are in memory: the cold → loading → warm state machine with
// LRU eviction at maxLoaded. Loads and evictions run one at a time through a
// FIFO job queue, like a single disk / single GPU server does: a request for a
// cold model waits for its job, a request for a model being evicted waits for
// the reload after it. A model in use is never evicted mid-request: it drains
// first (llama-swap waits for in-flight requests before stopping a process).
import { delay } from './delay.ts';
import type { Release } from './slot-pool.ts';

export type ModelState = 'cold' | 'loading' | 'warm' | 'draining' | 'stopping';

export interface ResidentModel {
  readonly id: string;
  readonly sizeGB: number;
  state: ModelState;
  /** Requests holding the model (waiting for a slot or generating). */
  inUse: number;
  /** LRU clock; higher = used more recently. */
  lastUsed: number;
  /** Wall-clock ms of the last use, for servers that report it. */
  lastUsedAt: number | null;
  loadStartedAt: number | null;
  loadedAt: number | null;
}

export interface ResidencyOptions {
  models: Array<{ id: string; sizeGB: number; loaded: boolean }>;
  maxLoaded: number;
  loadMs: (id: string) => number;
  unloadMs: number;
  /** Aborted when the server closes: pending loads stop. */
  lifetime: AbortSignal;
}

export type StateListener = (model: ResidentModel, previous: ModelState) => void;

interface Waiter {
  grant: () => void;
  signal: AbortSignal | undefined;
}

interface LoadJob {
  target: string;
  durationMs: number | undefined;
  waiters: Waiter[];
  /** Set once its waiters were granted: later requests need a new job. */
  closed: boolean;
  done: Promise<void>;
  finish: () => void;
}

export class Residency {
  private readonly models = new Map<string, ResidentModel>();
  private readonly jobs: LoadJob[] = [];
  private readonly listeners = new Set<StateListener>();
  private readonly idleWaiters = new Map<string, Array<() => void>>();
  private running = false;
  private clock = 0;
  loads = 0;
  evictions = 0;

  constructor(private readonly opts: ResidencyOptions) {
    for (const m of opts.models) {
      const now = Date.now();
      this.models.set(m.id, {
        id: m.id,
        sizeGB: m.sizeGB,
        state: m.loaded ? 'warm' : 'cold',
        inUse: 0,
        lastUsed: m.loaded ? ++this.clock : 0,
        lastUsedAt: null,
        loadStartedAt: null,
        loadedAt: m.loaded ? now : null,
      });
    }
  }

  has(id: string): boolean {
    return this.models.has(id);
  }

  get(id: string): ResidentModel {
    const m = this.models.get(id);
    if (!m) throw new Error(`unknown model ${id}`);
    return m;
  }

  list(): ResidentModel[] {
    return [...this.models.values()];
  }

  /** Models whose weights are in memory (including one draining before eviction). */
  resident(): ResidentModel[] {
    return this.list().filter((m) => m.state === 'warm' || m.state === 'draining');
  }

  onChange(listener: StateListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Hold a model for one request, loading it first if needed. The returned
   * release must be called when the request ends.
   */
  acquire(id: string, signal?: AbortSignal): Promise<Release> {
    signal?.throwIfAborted();
    const m = this.get(id);
    if (m.state === 'warm') return Promise.resolve(this.hold(m));
    return new Promise<Release>((resolve, reject) => {
      const job = this.enqueue(id, undefined);
      const onAbort = (): void => {
        const i = job.waiters.indexOf(waiter);
        if (i >= 0) job.waiters.splice(i, 1);
        reject(signal?.reason);
      };
      const waiter: Waiter = {
        signal,
        grant: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve(this.hold(m));
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      job.waiters.push(waiter);
    });
  }

  /** Start loading without holding (explicit load endpoints, startup loads). */
  load(id: string, durationMs?: number): Promise<void> {
    const m = this.get(id);
    if (m.state === 'warm') return Promise.resolve();
    return this.enqueue(id, durationMs).done;
  }

  /** Wait until the model is warm without triggering a load (servers with autoload off, vLLM sleep). */
  whenWarm(id: string, signal?: AbortSignal): Promise<void> {
    const m = this.get(id);
    if (m.state === 'warm') return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const off = this.onChange((changed) => {
        if (changed.id !== id || changed.state !== 'warm') return;
        off();
        signal?.removeEventListener('abort', onAbort);
        resolve();
      });
      const onAbort = (): void => {
        off();
        reject(signal?.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Drop a model at once (explicit unload endpoints). Requests already running finish normally. */
  unload(id: string): void {
    const m = this.get(id);
    if (m.state !== 'warm') return;
    this.setState(m, 'cold');
    m.loadedAt = null;
  }

  private hold(m: ResidentModel): Release {
    m.inUse++;
    m.lastUsed = ++this.clock;
    m.lastUsedAt = Date.now();
    let released = false;
    return () => {
      if (released) return;
      released = true;
      m.inUse--;
      m.lastUsedAt = Date.now();
      if (m.inUse === 0) {
        const waiters = this.idleWaiters.get(m.id) ?? [];
        this.idleWaiters.delete(m.id);
        for (const w of waiters) w();
      }
    };
  }

  private enqueue(target: string, durationMs: number | undefined): LoadJob {
    const existing = this.jobs.find((j) => j.target === target && !j.closed);
    if (existing) return existing;
    let finish = (): void => {};
    const done = new Promise<void>((resolve) => {
      finish = resolve;
    });
    const job: LoadJob = { target, durationMs, waiters: [], closed: false, done, finish };
    this.jobs.push(job);
    void this.pump();
    return job;
  }

  private async pump(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      while (this.jobs.length > 0 && !this.opts.lifetime.aborted) {
        const job = this.jobs[0];
        if (!job) break;
        await this.run(job);
        this.jobs.shift();
        job.finish();
      }
    } catch {
      // Only a server close() interrupts a job; nothing is left to report to.
    } finally {
      this.running = false;
    }
  }

  private async run(job: LoadJob): Promise<void> {
    const m = this.get(job.target);
    if (m.state !== 'warm') {
      await this.makeRoomFor(m);
      this.setState(m, 'loading');
      m.loadStartedAt = Date.now();
      await delay(job.durationMs ?? this.opts.loadMs(m.id), this.opts.lifetime);
      m.loadedAt = Date.now();
      m.loadStartedAt = null;
      m.lastUsed = ++this.clock;
      this.loads++;
      this.setState(m, 'warm');
    }
    job.closed = true;
    for (const w of job.waiters.splice(0)) {
      if (!w.signal?.aborted) w.grant();
    }
  }

  private async makeRoomFor(target: ResidentModel): Promise<void> {
    while (this.resident().length >= this.opts.maxLoaded) {
      const victim = this.pickVictim(target);
      if (!victim) return;
      await this.evict(victim);
    }
  }

  /** LRU among idle warm models first; a busy one only if every resident model is busy. */
  private pickVictim(target: ResidentModel): ResidentModel | undefined {
    const candidates = this.resident()
      .filter((m) => m !== target && m.state === 'warm')
      .sort((a, b) => a.lastUsed - b.lastUsed);
    return candidates.find((m) => m.inUse === 0) ?? candidates[0];
  }

  private async evict(m: ResidentModel): Promise<void> {
    this.setState(m, 'draining');
    if (m.inUse > 0) {
      await new Promise<void>((resolve) => {
        const list = this.idleWaiters.get(m.id) ?? [];
        list.push(resolve);
        this.idleWaiters.set(m.id, list);
      });
    }
    this.setState(m, 'stopping');
    await delay(this.opts.unloadMs, this.opts.lifetime);
    m.loadedAt = null;
    this.evictions++;
    this.setState(m, 'cold');
  }

  private setState(m: ResidentModel, state: ModelState): void {
    const previous = m.state;
    if (previous === state) return;
    m.state = state;
    for (const l of [...this.listeners]) l(m, previous);
  }
}
