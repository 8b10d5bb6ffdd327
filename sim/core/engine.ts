// One simulated inference server: residency (which models are in memory) plus
// slots (how many requests run at once) plus token pacing. Kinds call
// generate() and turn the tokens into their own wire format.
import { delay } from './delay.ts';
import { Residency } from './residency.ts';
import { loadMsFor, type SimSettings } from './settings.ts';
import { SlotPool } from './slot-pool.ts';
import { fillerToken } from './tokens.ts';

export interface GenerateRequest {
  model: string;
  tokens: number;
  signal: AbortSignal;
  promptTokens?: number;
  /** Skip the autoload: wait until something else makes the model warm (vLLM sleep). */
  waitForWarm?: boolean;
}

/** What a finished generation measured, for usage/timings fields. */
export interface GenerationTimings {
  queuedMs: number;
  promptMs: number;
  predictedMs: number;
  tokens: number;
}

export interface EngineStats {
  loaded: string[];
  loading: string[];
  active: number;
  queued: number;
  loads: number;
  evictions: number;
  requests: number;
}

export class Engine {
  readonly residency: Residency;
  private readonly pools = new Map<string, SlotPool>();
  private waitingForModel = 0;
  private readonly waitingByModel = new Map<string, number>();
  requests = 0;
  /** Lifetime counters for Prometheus-style endpoints. */
  tokensGenerated = 0;
  promptTokens = 0;

  constructor(
    readonly settings: SimSettings,
    readonly lifetime: AbortSignal,
  ) {
    this.residency = new Residency({
      models: settings.models,
      maxLoaded: settings.maxLoaded,
      loadMs: (id) => {
        const m = settings.models.find((x) => x.id === id);
        return m ? loadMsFor(settings, m) : 0;
      },
      unloadMs: settings.unloadMs,
      lifetime,
    });
  }

  /** The slot pool serving a model (the server-wide one when slots are per server). */
  pool(model: string): SlotPool {
    const key = this.settings.slotScope === 'server' ? '*' : model;
    let pool = this.pools.get(key);
    if (!pool) {
      pool = new SlotPool(this.settings.slots);
      this.pools.set(key, pool);
    }
    return pool;
  }

  /** Requests for this model waiting for a load (not yet holding it). */
  waitingForLoad(model: string): number {
    return this.waitingByModel.get(model) ?? 0;
  }

  /**
   * Yields tokens at the configured pace once the model is warm and a slot is
   * free. Breaking out of the loop or aborting the signal frees the slot at once.
   */
  async *generate(req: GenerateRequest, timings?: GenerationTimings): AsyncGenerator<string> {
    const signal = AbortSignal.any([req.signal, this.lifetime]);
    const arrived = performance.now();
    this.requests++;
    this.waitingForModel++;
    this.waitingByModel.set(req.model, this.waitingForLoad(req.model) + 1);
    let releaseModel: () => void;
    try {
      if (req.waitForWarm) await this.residency.whenWarm(req.model, signal);
      releaseModel = await this.residency.acquire(req.model, signal);
    } finally {
      this.waitingForModel--;
      this.waitingByModel.set(req.model, this.waitingForLoad(req.model) - 1);
    }
    try {
      const releaseSlot = await this.pool(req.model).acquire(signal);
      try {
        const start = performance.now();
        this.promptTokens += req.promptTokens ?? 0;
        if (timings) timings.queuedMs = start - arrived;
        for (let i = 0; i < req.tokens; i++) {
          const due = start + this.settings.ttftMs + i * this.settings.tokenMs;
          await delay(due - performance.now(), signal);
          if (timings) {
            if (i === 0) timings.promptMs = performance.now() - start;
            timings.tokens = i + 1;
            timings.predictedMs = performance.now() - start - timings.promptMs;
          }
          this.tokensGenerated++;
          yield fillerToken(i);
        }
        if (req.tokens === 0) await delay(this.settings.ttftMs, signal);
      } finally {
        releaseSlot();
      }
    } finally {
      releaseModel();
    }
  }

  /** Hold the model and a slot without generating (embeddings). */
  async occupy(req: GenerateRequest, timings?: GenerationTimings): Promise<void> {
    const it = this.generate({ ...req, tokens: 0 }, timings);
    while (!(await it.next()).done) {
      // tokens: 0 yields nothing; the loop only waits for the model and a slot.
    }
  }

  stats(): EngineStats {
    const models = this.residency.list();
    let active = 0;
    let queued = this.waitingForModel;
    for (const pool of this.pools.values()) {
      active += pool.active;
      queued += pool.queued;
    }
    return {
      loaded: models.filter((m) => m.state === 'warm' || m.state === 'draining').map((m) => m.id),
      loading: models.filter((m) => m.state === 'loading').map((m) => m.id),
      active,
      queued,
      loads: this.residency.loads,
      evictions: this.residency.evictions,
      requests: this.requests,
    };
  }
}

export function newTimings(): GenerationTimings {
  return { queuedMs: 0, promptMs: 0, predictedMs: 0, tokens: 0 };
}
