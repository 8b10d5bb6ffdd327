// The scheduler's reading of the policy: one flat, derived record so plugins
// never reach into the policy's nesting or repeat its defaults.
import type { Policy, Strategy } from '../policy/schema.ts';
import { canPrewarm } from '../prewarm/kinds.ts';

/** The policy's `scheduler.weights`: one weight per scorer, keyed by the scorer's registered name (registry.ts). */
export type ScorerWeights = Policy['scheduler']['weights'];

export interface SchedulerSettings {
  strategy: Strategy;
  warmBonus: number;
  /** Waiting this long makes a request "starving": it goes before every younger request. */
  agingMs: number;
  /** Priority points a waiting request earns per ms of age. */
  agingRatePerMs: number;
  queueMaxLength: number;
  queueTimeoutMs: number;
  weights: ScorerWeights;
  sessionTtlMs: number;
  sessionMaxEntries: number;
  /**
   * Several sidecar replicas decide (policy sidecar.replicas): a conversation
   * none of them has seen is homed by the rendezvous hash of its key, which
   * every replica computes alike, rather than by this replica's count of homed
   * sessions, which the others do not share.
   */
  replicated: boolean;
  modelPriority(model: string): number;
  /** Sticky window a model keeps a backend after its last request there ends. */
  unloadDelayMs(model: string): number;
  /** The backend's server has a load call (sidecar/prewarm/kinds.ts). */
  canPrewarm(backend: string): boolean;
  /** Time between probes of a backend (a refusal for no healthy backend says to retry after one). */
  probeIntervalMs(backend: string): number | undefined;
}

export function settingsFrom(policy: Policy): SchedulerSettings {
  const s = policy.scheduler;
  const models = policy.models;
  // Age catches up with the warm bonus after aging_ms. With no bonus there is
  // nothing to catch up with, so a request still earns one point per aging_ms:
  // model priorities then stay soft instead of starving lower ones for ever.
  const prewarmable = new Set(policy.backends.filter((b) => canPrewarm(b.kind)).map((b) => b.name));
  const probeIntervals = new Map(policy.backends.map((b) => [b.name, b.probe.interval_ms]));
  const agingRatePerMs = (s.warm_bonus > 0 ? s.warm_bonus : 1) / s.aging_ms;
  return {
    strategy: s.strategy,
    warmBonus: s.warm_bonus,
    agingMs: s.aging_ms,
    agingRatePerMs,
    queueMaxLength: s.queue.max_length,
    queueTimeoutMs: s.queue.timeout_ms,
    weights: { ...s.weights },
    sessionTtlMs: policy.sessions.ttl_ms,
    sessionMaxEntries: policy.sessions.max_entries,
    replicated: policy.sidecar.replicas.length > 0,
    modelPriority: (model) => models[model]?.priority ?? 0,
    unloadDelayMs: (model) => models[model]?.unload_delay_ms ?? s.unload_delay_ms,
    canPrewarm: (backend) => prewarmable.has(backend),
    probeIntervalMs: (backend) => probeIntervals.get(backend),
  };
}
