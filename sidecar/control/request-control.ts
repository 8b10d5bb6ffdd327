// The edge between ext_proc streams and the pure scheduler: applies each
// call's accounting to the store (a dispatch takes a slot, a release gives it
// back) before anything else, turns outcomes into promise resolutions, owns
// the one wake-up timer, and guarantees that each admitted request is
// finished (completed or cancelled) exactly once.
import type { Clock } from './clock.ts';
import { applyAccounting, type AccountingSink } from '../scheduler/accounting.ts';
import type { CompletionInfo, Decision, PrewarmOutcome, RequestInfo, Scheduler, SchedulerOutcome } from '../scheduler/types.ts';

export type Admission = Decision;

interface Pending {
  model: string;
  resolve(o: Admission): void;
}

export class RequestControl {
  private readonly waiting = new Map<string, Pending>();
  private readonly dispatchedAt = new Map<string, number>();
  private timer: unknown;
  private timerAt: number | undefined;

  constructor(
    private scheduler: Scheduler,
    private readonly clock: Clock,
    /** Where the scheduler's accounting is applied: the datastore it reads. */
    private readonly accounting: AccountingSink,
    private readonly onDecision: (o: Admission, model: string) => void = () => {},
    /** Pre-warm starts and cancels, for the edge to perform off the request path (sidecar/prewarm/). */
    private readonly onPrewarm: (o: PrewarmOutcome) => void = () => {},
  ) {}

  /** Swap the scheduler (policy reload). The caller migrates state; this only redirects calls. */
  setScheduler(s: Scheduler): void {
    this.scheduler = s;
    this.apply([]);
  }

  /**
   * Ask for a backend. Resolves when the request is dispatched or refused;
   * `queued` tells synchronously whether it has to wait.
   */
  admit(req: RequestInfo): { queued: boolean; decision: Promise<Admission> } {
    let resolve!: (o: Admission) => void;
    const decision = new Promise<Admission>((r) => (resolve = r));
    this.waiting.set(req.id, { model: req.model, resolve });
    this.apply(this.scheduler.submit(req, this.clock.now()));
    return { queued: this.waiting.has(req.id), decision };
  }

  /** The request is over (Envoy closed its stream). Idempotent. */
  finish(id: string, info: Omit<CompletionInfo, 'durationMs'> = { ok: true }): void {
    const now = this.clock.now();
    if (this.waiting.has(id)) {
      // Still queued: the client left before a backend was chosen.
      this.waiting.delete(id);
      this.apply(this.scheduler.cancel(id, now));
      return;
    }
    const started = this.dispatchedAt.get(id);
    if (started === undefined) return;
    this.dispatchedAt.delete(id);
    this.apply(this.scheduler.complete(id, now, { ...info, durationMs: now - started }));
  }

  /** Backend facts changed (a probe landed): queued requests may now fit. */
  poke(): void {
    this.apply(this.scheduler.tick(this.clock.now()));
  }

  queued(): number {
    return this.waiting.size;
  }

  running(): number {
    return this.dispatchedAt.size;
  }

  private apply(outcomes: SchedulerOutcome[]): void {
    // All of it first: handing back an abandoned dispatch below calls the scheduler again, which must see this call's slots taken.
    applyAccounting(outcomes, this.accounting, this.clock.now());
    for (const o of outcomes) {
      if (o.type === 'release') continue;
      if (o.type === 'prewarm') {
        this.onPrewarm(o);
        continue;
      }
      const p = this.waiting.get(o.id);
      if (!p) {
        // A dispatch for a request whose client already left: hand the slot straight back.
        if (o.type === 'dispatch') this.apply(this.scheduler.complete(o.id, this.clock.now(), { ok: false, durationMs: 0 }));
        continue;
      }
      this.waiting.delete(o.id);
      if (o.type === 'dispatch') {
        this.dispatchedAt.set(o.id, this.clock.now());
      }
      this.onDecision(o, p.model);
      p.resolve(o);
    }
    this.armTimer();
  }

  private armTimer(): void {
    const at = this.scheduler.nextWakeAt();
    if (at === this.timerAt) return;
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = at;
    if (at === undefined) return;
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      this.timerAt = undefined;
      this.apply(this.scheduler.tick(this.clock.now()));
    }, Math.max(0, at - this.clock.now()));
  }
}
