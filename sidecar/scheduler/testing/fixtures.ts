// Test fixtures: policies parsed by the real schema, a real Datastore, probe
// helpers and request builders.
import { Datastore } from '../../backends/datastore.ts';
import type { ModelState } from '../../backends/snapshot.ts';
import { Policy, type BackendKind, type PolicyInput } from '../../policy/schema.ts';
import { createScheduler, type SchedulerOptions } from '../index.ts';
import type { EdgeOutcome, RequestInfo, SchedulerCore, SchedulerOutcome } from '../types.ts';

export interface BackendInput {
  name: string;
  models: string[];
  slots?: number;
  max_models?: number;
  kind?: BackendKind;
}

/** A policy with the given backends (URLs made up) and any other sections. */
export function policyWith(backends: BackendInput[], rest: Omit<PolicyInput, 'backends'> = {}): Policy {
  return Policy.parse({
    ...rest,
    backends: backends.map((b, i) => ({ name: b.name, url: `http://10.0.0.${i + 1}:8080`, models: b.models, slots: b.slots, max_models: b.max_models, kind: b.kind })),
  });
}

export interface Setup {
  policy: Policy;
  store: Datastore;
  sched: SchedulerCore<EdgeOutcome>;
}

export function setup(backends: BackendInput[], rest: Omit<PolicyInput, 'backends'> = {}, opts?: SchedulerOptions): Setup {
  const policy = policyWith(backends, rest);
  const store = new Datastore(policy);
  return { policy, store, sched: createScheduler(policy, store, opts) };
}

/** Report `models` (id → state) on a healthy backend, as a probe would. */
export function probe(store: Datastore, backend: string, models: Record<string, ModelState>, now: number, extra: { inFlight?: number; freeBytes?: number } = {}): void {
  store.applyProbe(
    backend,
    {
      ok: true,
      snapshot: {
        healthy: true,
        models: Object.entries(models).map(([id, state]) => ({ id, state })),
        knowsLoaded: true,
        loading: Object.values(models).includes('loading'),
        inFlight: extra.inFlight,
        memory: extra.freeBytes === undefined ? undefined : { freeBytes: extra.freeBytes },
      },
    },
    now,
  );
}

export function down(store: Datastore, backend: string, now: number): void {
  store.applyProbe(backend, { ok: false, error: 'connection refused' }, now);
}

let counter = 0;
export function req(model: string, extra: Partial<RequestInfo> = {}): RequestInfo {
  return { id: extra.id ?? `r${++counter}`, model, promptBytes: 100, stream: false, ...extra };
}

/** Backend of each dispatch outcome, by request id. */
export function placed(outcomes: readonly SchedulerOutcome[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const o of outcomes) if (o.type === 'dispatch') out.set(o.id, o.record.backend);
  return out;
}

export function dispatchOf(outcomes: readonly SchedulerOutcome[], id: string): Extract<SchedulerOutcome, { type: 'dispatch' }> | undefined {
  return outcomes.find((o): o is Extract<SchedulerOutcome, { type: 'dispatch' }> => o.type === 'dispatch' && o.id === id);
}

export function rejectOf(outcomes: readonly SchedulerOutcome[], id: string): Extract<SchedulerOutcome, { type: 'reject' }> | undefined {
  return outcomes.find((o): o is Extract<SchedulerOutcome, { type: 'reject' }> => o.type === 'reject' && o.id === id);
}
