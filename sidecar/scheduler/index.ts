// The scheduling core's entry points. The core reads backend state through a
// read-only port (port.ts) and returns its accounting as outcomes.
//  - createSchedulerCore: the pure core; the edge applies each call's
//    outcomes (acquire on dispatch, release) before the next call. The
//    sidecar's request control does (control/request-control.ts).
//  - createScheduler: the core plus that application, on a store that is
//    both the port and the accounting sink (the datastore): for simulations,
//    virtual-time replay and tests. Returns decisions and pre-warms.
import type { Policy } from '../policy/schema.ts';
import type { AccountingSink } from './accounting.ts';
import { QueueingScheduler, type SchedulerOptions } from './engine.ts';
import type { BackendStatePort } from './port.ts';
import { SelfAccountingScheduler } from './self-accounting.ts';
import type { EdgeOutcome, SchedulerCore } from './types.ts';

export function createSchedulerCore(policy: Policy, port: BackendStatePort, opts?: SchedulerOptions): SchedulerCore {
  return new QueueingScheduler(policy, port, opts);
}

export function createScheduler(policy: Policy, store: BackendStatePort & AccountingSink, opts?: SchedulerOptions): SchedulerCore<EdgeOutcome> {
  return new SelfAccountingScheduler(createSchedulerCore(policy, store, opts), store);
}

export { applyAccounting, type AccountingSink } from './accounting.ts';
export { seededRandom, type SchedulerOptions } from './engine.ts';
export type { BackendStatePort } from './port.ts';
export { STRATEGIES } from './strategies/index.ts';
export type {
  BackendModelView,
  BackendView,
  CompletionInfo,
  Decision,
  DecisionReason,
  EdgeOutcome,
  PrewarmOutcome,
  DecisionRecord,
  QueueSnapshotEntry,
  RequestInfo,
  Scheduler,
  SchedulerCore,
  SchedulerOutcome,
} from './types.ts';
