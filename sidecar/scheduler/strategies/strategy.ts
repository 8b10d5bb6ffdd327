// A strategy is data plus two small functions: which filters apply, how the
// queue is ordered this cycle, and how a backend is chosen among the
// admissible ones (or why the request waits). The queue, limits, timeouts,
// cancellation and accounting are shared and live in the dispatch loop.
import type { Strategy as StrategyName } from '../../policy/schema.ts';
import type { Cycle, Evaluation, Filter, Option, Placement } from '../framework.ts';
import type { PrewarmPlan, PrewarmState } from '../plugins/prewarm.ts';
import type { DecisionReason } from '../types.ts';
import type { QueueOrder } from './ordering.ts';

export type Choice =
  | {
      kind: 'dispatch';
      option: Option;
      reason: DecisionReason;
      /** Weighted score per backend considered. */
      scores?: Record<string, number>;
      /** Expected start per option weighed, including warm slots worth waiting for. */
      expectedStartsMs?: Record<string, number>;
    }
  | {
      kind: 'wait';
      why: string;
      /** Keep this backend from other models while the request waits. */
      hold?: { backend: string; why: 'drain' | 'starving' };
      /** Re-examine the decision at this time if nothing else happens first. */
      recheckAt?: number;
    };

export interface Strategy {
  readonly name: StrategyName;
  readonly filters: readonly Filter[];
  /** Stop a cycle at the first request that cannot start (strict FIFO). */
  readonly headOfLineBlocks: boolean;
  /** Requests earn a starvation bound after `aging_ms` (the loop wakes then). */
  readonly agingBound: boolean;
  /** How the queue is ordered each cycle. */
  readonly order: QueueOrder;
  /**
   * Dispatch or wait. The dispatch pass relies on this: a wait depends only on
   * the cycle's state and on the request's model, pin and flags (starving,
   * diversity), never on its session or exact age, except through a warm-slot
   * forecast it takes from (the pass notices a take). So when one request
   * waits without taking, the next of its group with the same flags would
   * wait too, until something is dispatched.
   */
  choose(p: Placement, ev: Evaluation, cycle: Cycle): Choice;
  /** Loads to start ahead for the requests still waiting after a cycle (pre-warm, hedged cold start); none if absent. */
  planPrewarms?(waiting: readonly Placement[], cycle: Cycle, state: PrewarmState): PrewarmPlan[];
}
