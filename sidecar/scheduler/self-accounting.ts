// A scheduler that applies its own accounting to the store it reads: for
// callers with no edge of their own (simulations, virtual-time replay, tests).
// The sidecar does not use it: its request control applies the outcomes.
import { applyAccounting, type AccountingSink } from './accounting.ts';
import type { BackendStatePort } from './port.ts';
import type { CompletionInfo, DecisionRecord, EdgeOutcome, QueueSnapshotEntry, RequestInfo, SchedulerCore, SchedulerOutcome } from './types.ts';
import type { Policy } from '../policy/schema.ts';

export class SelfAccountingScheduler implements SchedulerCore<EdgeOutcome> {
  constructor(
    private readonly core: SchedulerCore,
    private readonly store: BackendStatePort & AccountingSink,
  ) {}

  submit(req: RequestInfo, now: number): EdgeOutcome[] {
    return this.applied(this.core.submit(req, now), now);
  }

  cancel(id: string, now: number): EdgeOutcome[] {
    return this.applied(this.core.cancel(id, now), now);
  }

  complete(id: string, now: number, info: CompletionInfo): EdgeOutcome[] {
    return this.applied(this.core.complete(id, now, info), now);
  }

  tick(now: number): EdgeOutcome[] {
    return this.applied(this.core.tick(now), now);
  }

  nextWakeAt(): number | undefined {
    return this.core.nextWakeAt();
  }

  queueLength(): number {
    return this.core.queueLength();
  }

  inFlight(): number {
    return this.core.inFlight();
  }

  setPolicy(policy: Policy): void {
    this.core.setPolicy(policy);
  }

  recentDecisions(): DecisionRecord[] {
    return this.core.recentDecisions();
  }

  queueSnapshot(now?: number): QueueSnapshotEntry[] {
    return this.core.queueSnapshot(now);
  }

  trackedSessions(): number {
    return this.core.trackedSessions();
  }

  private applied(outcomes: SchedulerOutcome[], now: number): EdgeOutcome[] {
    applyAccounting(outcomes, this.store, now);
    return outcomes.filter((o): o is EdgeOutcome => o.type !== 'release');
  }
}
