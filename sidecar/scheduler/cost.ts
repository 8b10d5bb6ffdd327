// The cost view: time. How long a model takes to load on a backend, how long
// requests run, and from those, when a request would start on each option.
import type { BackendView } from './types.ts';
import { MinHeap } from './heap.ts';

/**
 * Load time assumed before one is observed: the middle of the 10–30 s weight
 * load that peers quote for multi-model servers (Olla #166); llama.cpp and MLX
 * from page cache are faster, vLLM and cold disks slower. Learned values from
 * the datastore replace it per backend and model.
 */
export const DEFAULT_LOAD_MS = 20_000;
/** Service time assumed before any request has completed: a typical chat turn on a local server. */
export const DEFAULT_SERVICE_MS = 10_000;
/** Weight of the newest sample in the service-time average: adapts within a handful of requests. */
export const SERVICE_EWMA_ALPHA = 0.3;
/** Options whose expected start is within this much of the earliest count as equally early (estimates are rough). */
export const START_TOLERANCE_MS = 1_000;
export const START_TOLERANCE_RATIO = 0.25;

export function startTolerance(earliestMs: number): number {
  return Math.max(START_TOLERANCE_MS, earliestMs * START_TOLERANCE_RATIO);
}

/**
 * Expected time left of something expected to take `expectedMs` that has run
 * `elapsedMs`. Past two thirds of the expectation the estimate grows with the
 * elapsed time (half of it): generation lengths are heavy-tailed, so a request
 * that overran its average is likely a long one, and a wait decision built on
 * it gets re-examined later instead of trusting "any moment now" for ever.
 */
export function residualMs(elapsedMs: number, expectedMs: number): number {
  return Math.max(expectedMs - elapsedMs, elapsedMs / 2);
}

/**
 * Load time of `model` on `view`: as learned there; else the average learned
 * for the same model on other backends (same weights to read); else for other
 * models on this backend (same disk and GPU); else for any model anywhere in
 * the fleet (the best guess there is: with a constant instead, a backend
 * nothing has been loaded on yet looks far slower than one measured, and
 * models pile onto the measured backends while the others stay empty);
 * else the default.
 */
export function loadEstimateMs(view: BackendView, model: string, fleet: readonly BackendView[] = []): number {
  const here = view.models.get(model)?.loadMs;
  if (here !== undefined) return here;
  const mean = (xs: number[]) => (xs.length === 0 ? undefined : xs.reduce((a, b) => a + b, 0) / xs.length);
  const sameModel = mean(fleet.flatMap((v) => (v.name === view.name ? [] : [v.models.get(model)?.loadMs ?? NaN])).filter(Number.isFinite));
  if (sameModel !== undefined) return sameModel;
  const sameBackend = mean([...view.models.values()].flatMap((m) => (m.loadMs === undefined ? [] : [m.loadMs])));
  if (sameBackend !== undefined) return sameBackend;
  return mean(fleet.flatMap((v) => [...v.models.values()].flatMap((m) => (m.loadMs === undefined ? [] : [m.loadMs])))) ?? DEFAULT_LOAD_MS;
}

/** Exponentially weighted averages of request durations: per backend+model, per model, overall. */
export class ServiceTimes {
  private readonly byBackendModel = new Map<string, number>();
  private readonly byModel = new Map<string, number>();
  private overall: number | undefined;

  observe(backend: string, model: string, durationMs: number): void {
    if (!(durationMs > 0) || !Number.isFinite(durationMs)) return;
    const mix = (prev: number | undefined) => (prev === undefined ? durationMs : prev * (1 - SERVICE_EWMA_ALPHA) + durationMs * SERVICE_EWMA_ALPHA);
    const key = `${backend}\u0000${model}`;
    this.byBackendModel.set(key, mix(this.byBackendModel.get(key)));
    this.byModel.set(model, mix(this.byModel.get(model)));
    this.overall = mix(this.overall);
  }

  /** A request for the model has completed (its estimate is learned, not assumed). */
  knows(model: string): boolean {
    return this.byModel.has(model);
  }

  /** Most specific estimate known. */
  estimate(backend: string | undefined, model: string): number {
    if (backend !== undefined) {
      const v = this.byBackendModel.get(`${backend}\u0000${model}`);
      if (v !== undefined) return v;
    }
    return this.byModel.get(model) ?? this.typical();
  }

  typical(): number {
    return this.overall ?? DEFAULT_SERVICE_MS;
  }
}

/**
 * Times (ms from now) at which requests queued for one model would get a slot
 * on backends where the model is warm but every slot is taken. The k-th waiter
 * gets the k-th earliest slot; a slot it takes frees again one service time later.
 */
export interface ForecastSlot {
  /** ms from now. */
  readonly at: number;
  readonly backend: string;
  /** Service time there: the slot frees again this long after a waiter takes it. */
  readonly serviceMs: number;
}

export class WarmSlotForecast {
  private readonly heap = new MinHeap<ForecastSlot>((a, b) => a.at < b.at);

  add(backend: string, slotFreeTimesMs: readonly number[], serviceMs: number): void {
    for (const at of slotFreeTimesMs) this.heap.push({ at, backend, serviceMs });
  }

  peek(): ForecastSlot | undefined {
    return this.heap.peek();
  }

  /** Claim the earliest slot for one waiter. */
  take(): ForecastSlot | undefined {
    const top = this.heap.pop();
    if (top) this.heap.push({ ...top, at: top.at + top.serviceMs });
    return top;
  }
}

/**
 * When slots on a full backend free up for us, given the expected remaining
 * time of everything running there. Requests beyond the slot count are queued
 * inside the server, so the first completions go to them, not to us.
 */
export function slotFreeTimes(remainingMs: readonly number[], slots: number): number[] {
  const sorted = [...remainingMs].sort((a, b) => a - b);
  return sorted.slice(Math.max(0, sorted.length - slots));
}

/** Seconds for a Retry-After header: at least 1, at most an hour. */
export function retryAfterSeconds(ms: number): number {
  if (!Number.isFinite(ms)) return 3600;
  return Math.min(3600, Math.max(1, Math.ceil(ms / 1000)));
}
