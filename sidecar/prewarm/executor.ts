// The edge of pre-warm: performs the scheduler's pre-warm outcomes through
// each server's own load call, asynchronously and off the ext_proc path (the
// outcome handler only starts a fetch). A cancel aborts the call (a server
// that already began loading finishes; nothing is ever unloaded from here).
// Every start ends in exactly one result: ok, failed, cancelled or
// unsupported, counted in warmroute_prewarms_total and logged. When a call
// ends the backend is probed at once, so the scheduler sees the model warm
// without waiting for the next probe interval.
import type { BackendSpec } from '../policy/schema.ts';
import type { PrewarmOutcome } from '../scheduler/types.ts';
import { loadCallFor } from './kinds.ts';

export type PrewarmResult = 'ok' | 'failed' | 'cancelled' | 'unsupported';

/** A load call may take this many times the expected load before it is given up (and never less than the floor). */
export const PREWARM_TIMEOUT_RATIO = 5;
export const PREWARM_TIMEOUT_MIN_MS = 60_000;

export interface PrewarmDeps {
  spec(backend: string): BackendSpec | undefined;
  /** One result per started pre-warm. */
  record(o: PrewarmOutcome, result: PrewarmResult, detail: string): void;
  /** The call ended: refresh what the scheduler knows about the backend. */
  settled(backend: string): void;
  fetch?: typeof fetch;
}

export class PrewarmExecutor {
  private readonly inFlight = new Map<string, AbortController>();

  constructor(private readonly deps: PrewarmDeps) {}

  handle(o: PrewarmOutcome): void {
    const key = `${o.backend}\u0000${o.model}`;
    if (o.action === 'cancel') {
      this.inFlight.get(key)?.abort(new Error(o.why));
      return;
    }
    if (this.inFlight.has(key)) return;
    const spec = this.deps.spec(o.backend);
    const call = spec ? loadCallFor(spec.kind, o.backendModelId) : undefined;
    if (!spec || !call) {
      this.deps.record(o, 'unsupported', spec ? `${spec.kind} has no load call` : `${o.backend} is not configured`);
      return;
    }
    const abort = new AbortController();
    this.inFlight.set(key, abort);
    const timeoutMs = Math.max(PREWARM_TIMEOUT_MIN_MS, PREWARM_TIMEOUT_RATIO * o.expectedLoadMs);
    const signal = AbortSignal.any([abort.signal, AbortSignal.timeout(timeoutMs)]);
    const url = new URL(call.path, spec.url.endsWith('/') ? spec.url : `${spec.url}/`).href.replace(/([^:])\/\/+/g, '$1/');
    const doFetch = this.deps.fetch ?? fetch;
    void doFetch(url, {
      method: call.method,
      signal,
      headers: call.body === undefined ? undefined : { 'content-type': 'application/json' },
      body: call.body === undefined ? undefined : JSON.stringify(call.body),
    })
      .then(async (res) => {
        await res.arrayBuffer().catch(() => undefined);
        const ok = res.ok || (call.alreadyStatuses ?? []).includes(res.status);
        this.deps.record(o, ok ? 'ok' : 'failed', `HTTP ${res.status} from ${call.method} ${call.path}`);
      })
      .catch((e: unknown) => {
        const cancelled = abort.signal.aborted;
        this.deps.record(o, cancelled ? 'cancelled' : 'failed', cancelled ? String((abort.signal.reason as Error)?.message ?? 'cancelled') : e instanceof Error ? e.message : String(e));
      })
      .finally(() => {
        this.inFlight.delete(key);
        this.deps.settled(o.backend);
      });
  }

  /** Abort every call in progress (shutdown). */
  close(): void {
    for (const a of this.inFlight.values()) a.abort(new Error('sidecar closing'));
  }

  pending(): number {
    return this.inFlight.size;
  }
}
