// The scheduling core's entry point: a scheduler for the policy's strategy,
// over the shared datastore.
import type { Datastore } from '../backends/datastore.ts';
import type { Policy } from '../policy/schema.ts';
import { QueueingScheduler, type SchedulerOptions } from './engine.ts';
import type { SchedulerCore } from './types.ts';

export function createScheduler(policy: Policy, store: Datastore, opts?: SchedulerOptions): SchedulerCore {
  return new QueueingScheduler(policy, store, opts);
}

export { seededRandom, type SchedulerOptions } from './engine.ts';
export { STRATEGIES } from './strategies/index.ts';
export type {
  BackendModelView,
  BackendView,
  CompletionInfo,
  DecisionReason,
  DecisionRecord,
  QueueSnapshotEntry,
  RequestInfo,
  Scheduler,
  SchedulerCore,
  SchedulerOutcome,
} from './types.ts';
