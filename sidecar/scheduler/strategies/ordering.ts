// Queue orders shared by the strategies.
import type { Cycle, Placement, QueueEntry } from '../framework.ts';

const byArrival = (a: QueueEntry, b: QueueEntry) => a.seq - b.seq;

function placement(entry: QueueEntry, cycle: Cycle, fields: Partial<Omit<Placement, 'entry' | 'model' | 'modelPriority' | 'rank'>>): Omit<Placement, 'rank'> {
  return {
    entry,
    model: entry.req.model,
    modelPriority: cycle.settings.modelPriority(entry.req.model),
    priority: 0,
    starving: false,
    diversity: false,
    waivesStickyWindows: false,
    ...fields,
  };
}

const ranked = (items: ReadonlyArray<Omit<Placement, 'rank'>>): Placement[] => items.map((p, rank) => ({ ...p, rank }));

/** Strict arrival order. */
export function arrivalOrder(queue: readonly QueueEntry[], cycle: Cycle): Placement[] {
  return ranked([...queue].sort(byArrival).map((e) => placement(e, cycle, {})));
}

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
export function warmFirstOrder(queue: readonly QueueEntry[], cycle: Cycle): Placement[] {
  const s = cycle.settings;
  const items = queue.map((e) => {
    const age = cycle.now - e.enqueuedAt;
    const warm = cycle.isRepresented(e.req.model);
    const priority = s.modelPriority(e.req.model) + (warm ? s.warmBonus : 0) + age * s.agingRatePerMs;
    return placement(e, cycle, { priority, starving: age >= s.agingMs });
  });
  const order = (a: Omit<Placement, 'rank'>, b: Omit<Placement, 'rank'>) => b.priority - a.priority || a.entry.seq - b.entry.seq;
  items.sort(order);
  const starving = items.filter((p) => p.starving);
  const firstOfColdModel = new Set<string>();
  const diversity: Array<Omit<Placement, 'rank'>> = [];
  const rest: Array<Omit<Placement, 'rank'>> = [];
  for (const p of items) {
    if (p.starving) continue;
    if (!cycle.isRepresented(p.model) && !firstOfColdModel.has(p.model)) {
      firstOfColdModel.add(p.model);
      diversity.push({ ...p, diversity: true });
    } else rest.push(p);
  }
  return ranked([...starving, ...diversity, ...rest]);
}

/**
 * llamacpp-ha 0.14's order: with a warm bonus, first a diversity pass (the
 * highest-priority request of each model warm nowhere, which may displace a
 * model in its sticky window), then everything by bonus-if-warm + age × rate.
 * No bonus: plain FIFO.
 */
export function agingBonusOrder(queue: readonly QueueEntry[], cycle: Cycle): Placement[] {
  const s = cycle.settings;
  if (s.warmBonus <= 0) return arrivalOrder(queue, cycle);
  const rate = s.warmBonus / s.agingMs;
  const items = queue
    .map((e) => placement(e, cycle, { priority: (cycle.isRepresented(e.req.model) ? s.warmBonus : 0) + (cycle.now - e.enqueuedAt) * rate }))
    .sort((a, b) => b.priority - a.priority || a.entry.seq - b.entry.seq);
  const seen = new Set<string>();
  const diversity: Array<Omit<Placement, 'rank'>> = [];
  const rest: Array<Omit<Placement, 'rank'>> = [];
  for (const p of items) {
    if (!cycle.isRepresented(p.model) && !seen.has(p.model)) {
      seen.add(p.model);
      diversity.push({ ...p, diversity: true, waivesStickyWindows: true });
    } else rest.push(p);
  }
  return ranked([...diversity, ...rest]);
}
