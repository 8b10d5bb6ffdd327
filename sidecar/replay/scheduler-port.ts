// The one place replay touches the scheduling core: the real scheduler
// (createScheduler) over a real Datastore, fed probe snapshots by the
// simulated fleet. Everything else in replay sees only these small shapes, so
// changes to the core's outcomes stay a local edit here.
import { Datastore } from '../backends/datastore.ts';
import type { Policy, Strategy } from '../policy/schema.ts';
import { createScheduler } from '../scheduler/index.ts';
import type { SchedulerCore, SchedulerOutcome } from '../scheduler/types.ts';
import type { TraceRequest } from './trace.ts';

export type PortOutcome =
  | { type: 'dispatch'; id: string; backend: string; model: string; reason: string }
  | { type: 'reject'; id: string; status: number; code: string }
  /** Load `model` on `backend` ahead of demand (the core's pre-warm / hedged cold start). */
  | { type: 'prewarm'; backend: string; model: string };

export interface ProbedServer {
  backend: string;
  models: Array<{ id: string; state: 'warm' | 'loading' }>;
  loading: boolean;
  maxModels?: number;
}

/** Bytes a prompt of this many tokens takes on the wire (about 4 characters a token). */
export const BYTES_PER_TOKEN = 4;

export class SchedulerPort {
  private readonly store: Datastore;
  private readonly core: SchedulerCore;

  /**
   * `sessions`: distinct session keys in the trace. The session table is
   * sized to hold them all (never smaller than the policy would evict at),
   * since its preallocation would otherwise dominate a short replay's cost.
   */
  constructor(policy: Policy, strategy: Strategy, sessions: number) {
    const maxEntries = Math.min(policy.sessions.max_entries, Math.max(16, sessions + 1));
    const p: Policy = { ...policy, scheduler: { ...policy.scheduler, strategy }, sessions: { ...policy.sessions, max_entries: maxEntries } };
    this.store = new Datastore(p);
    this.core = createScheduler(p, this.store);
  }

  probe(s: ProbedServer, now: number): void {
    this.store.applyProbe(
      s.backend,
      { ok: true, snapshot: { healthy: true, knowsLoaded: true, loading: s.loading, models: s.models, ...(s.maxModels !== undefined ? { maxModels: s.maxModels } : {}) } },
      now,
    );
  }

  submit(r: TraceRequest, now: number): PortOutcome[] {
    return this.map(this.core.submit({ id: r.id, model: r.model, sessionKey: r.session, promptBytes: r.prompt_tokens * BYTES_PER_TOKEN, stream: r.stream }, now));
  }

  complete(id: string, now: number, durationMs: number, outputTokens: number): PortOutcome[] {
    return this.map(this.core.complete(id, now, { ok: true, durationMs, outputTokens }));
  }

  tick(now: number): PortOutcome[] {
    return this.map(this.core.tick(now));
  }

  nextWakeAt(): number | undefined {
    return this.core.nextWakeAt();
  }

  queueLength(): number {
    return this.core.queueLength();
  }

  /** Dispatches, refusals and pre-warm starts; other outcome kinds are not the replay's to act on. */
  private map(outcomes: readonly SchedulerOutcome[]): PortOutcome[] {
    const out: PortOutcome[] = [];
    for (const o of outcomes) {
      if (o.type === 'dispatch') out.push({ type: 'dispatch', id: o.id, backend: o.record.backend, model: o.record.model, reason: o.record.reason });
      else if (o.type === 'reject') out.push({ type: 'reject', id: o.id, status: o.status, code: o.code });
      else {
        // Read structurally: cores without pre-warm never emit it. A cancel is
        // ignored: like most real servers, the simulated ones finish a load they began.
        const p = o as { type: string; action?: unknown; backend?: unknown; model?: unknown };
        if (p.type === 'prewarm' && p.action === 'start' && typeof p.backend === 'string' && typeof p.model === 'string') out.push({ type: 'prewarm', backend: p.backend, model: p.model });
      }
    }
    return out;
  }
}
