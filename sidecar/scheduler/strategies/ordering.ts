// Queue orders shared by the strategies. An order is a key per request
// (tier, then priority, then arrival) plus an optional diversity pass. The
// dispatch pass merges the queue's groups by this key; `rankQueue` sorts the
// whole queue by it for snapshots. Contract the pass relies on: among one
// model's requests of one tier, an older request never ranks after a younger
// one (same model priority and warm bonus; age only adds).
import type { Placement, QueueEntry } from '../framework.ts';
import type { SchedulerSettings } from '../settings.ts';

/** What an order may read: the time, the settings, and which models were represented when the cycle began. */
export interface OrderContext {
  readonly now: number;
  readonly settings: SchedulerSettings;
  isRepresented(model: string): boolean;
}

export interface RankKey {
  /** Lower goes first. */
  readonly tier: number;
  /** Higher goes first within a tier; then arrival. */
  readonly priority: number;
}

export interface QueueOrder {
  /** Requests that waited `settings.agingMs` or more are starving (a tier of their own in the key). */
  readonly starves: boolean;
  key(entry: QueueEntry, starving: boolean, ctx: OrderContext): RankKey;
  /**
   * The diversity pass: the first request (in key order) of each model
   * represented nowhere, starving ones aside, moves to this tier.
   */
  diversity(settings: SchedulerSettings): { readonly tier: number; readonly waivesStickyWindows: boolean } | undefined;
}

/** Does `a` (key, seq) rank before `b`? */
export function ranksBefore(a: RankKey, aSeq: number, b: RankKey, bSeq: number): boolean {
  if (a.tier !== b.tier) return a.tier < b.tier;
  if (a.priority !== b.priority) return a.priority > b.priority;
  return aSeq < bSeq;
}

/** Strict arrival order. */
export const ARRIVAL_ORDER: QueueOrder = {
  starves: false,
  key: () => ({ tier: 0, priority: 0 }),
  diversity: () => undefined,
};

/**
 * Warm-first order. Priority = model priority + warm bonus while the model is
 * warm (or loading, or running) somewhere + age × rate, where the rate makes
 * age worth the bonus after aging_ms: requests for a warm model collate ahead
 * (FIFO+, llama-swap #612) but only within that bound. Three tiers, each by
 * priority then arrival:
 *  1. starving: waited aging_ms or more. A hard bound, whatever the model
 *     priorities: they go before every younger request;
 *  2. diversity: the first request of each model warm nowhere, so N distinct
 *     waiting models spread over N backends before any model takes a second;
 *  3. the rest.
 */
export const WARM_FIRST_ORDER: QueueOrder = {
  starves: true,
  key: (e, starving, ctx) => {
    const s = ctx.settings;
    const priority = s.modelPriority(e.req.model) + (ctx.isRepresented(e.req.model) ? s.warmBonus : 0) + (ctx.now - e.enqueuedAt) * s.agingRatePerMs;
    return { tier: starving ? 0 : 2, priority };
  },
  diversity: () => ({ tier: 1, waivesStickyWindows: false }),
};

/**
 * llamacpp-ha 0.14's order: with a warm bonus, first a diversity pass (the
 * highest-priority request of each model warm nowhere, which may displace a
 * model in its sticky window), then everything by bonus-if-warm + age × rate.
 * No bonus: plain FIFO.
 */
export const AGING_BONUS_ORDER: QueueOrder = {
  starves: false,
  key: (e, _starving, ctx) => {
    const s = ctx.settings;
    if (s.warmBonus <= 0) return { tier: 1, priority: 0 };
    const priority = (ctx.isRepresented(e.req.model) ? s.warmBonus : 0) + (ctx.now - e.enqueuedAt) * (s.warmBonus / s.agingMs);
    return { tier: 1, priority };
  },
  diversity: (s) => (s.warmBonus > 0 ? { tier: 0, waivesStickyWindows: true } : undefined),
};

/** Is the request starving under this order at `now`? */
export const isStarving = (order: QueueOrder, e: QueueEntry, ctx: OrderContext) => order.starves && ctx.now - e.enqueuedAt >= ctx.settings.agingMs;

/** A placement from its key and flags. */
export function placementOf(entry: QueueEntry, ctx: OrderContext, key: RankKey, flags: { starving: boolean; diversity: boolean; waivesStickyWindows: boolean }, rank: number): Placement {
  return { entry, model: entry.req.model, modelPriority: ctx.settings.modelPriority(entry.req.model), priority: key.priority, rank, ...flags };
}

/** The whole queue in this order: O(queue · log queue), for snapshots and as the reference the pass is tested against. */
export function rankQueue(order: QueueOrder, queue: Iterable<QueueEntry>, ctx: OrderContext): Placement[] {
  const div = order.diversity(ctx.settings);
  const items = [...queue].map((entry) => {
    const starving = isStarving(order, entry, ctx);
    return { entry, starving, key: order.key(entry, starving, ctx) };
  });
  const before = (a: (typeof items)[number], b: (typeof items)[number]) => ranksBefore(a.key, a.entry.seq, b.key, b.entry.seq);
  items.sort((a, b) => (before(a, b) ? -1 : before(b, a) ? 1 : 0));
  const firstOfModel = new Set<string>();
  const marked = items.map((it) => {
    const model = it.entry.req.model;
    if (div && !it.starving && !ctx.isRepresented(model) && !firstOfModel.has(model)) {
      firstOfModel.add(model);
      return { ...it, key: { tier: div.tier, priority: it.key.priority }, diversity: true, waives: div.waivesStickyWindows };
    }
    return { ...it, diversity: false, waives: false };
  });
  marked.sort((a, b) => (before(a, b) ? -1 : before(b, a) ? 1 : 0));
  return marked.map((it, rank) => placementOf(it.entry, ctx, it.key, { starving: it.starving, diversity: it.diversity, waivesStickyWindows: it.waives }, rank));
}
