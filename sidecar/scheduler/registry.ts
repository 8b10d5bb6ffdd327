// Every plugin by its name: filters, scorers and pickers. Strategies compose
// plugins; the policy addresses scorers by these names (`scheduler.weights`
// has one key per scorer, checked in registry.test.ts), and decisions and
// wait reasons name filters the same way. A new plugin is registered here.
import type { Filter, Picker, Scorer } from './framework.ts';
import { affinityScorer } from './plugins/affinity.ts';
import { breakEvenFilter } from './plugins/break-even.ts';
import { freeSlotFilter } from './plugins/free-slot.ts';
import { healthyFilter } from './plugins/healthy.ts';
import { holdsFilter } from './plugins/holds.ts';
import { loadScorer } from './plugins/load.ts';
import { loadsOnDemandFilter } from './plugins/loads-on-demand.ts';
import { maxScorePicker } from './plugins/max-score.ts';
import { memoryScorer } from './plugins/memory.ts';
import { modelCapacityFilter } from './plugins/model-capacity.ts';
import { pinnedFilter } from './plugins/pinned.ts';
import { recencyScorer } from './plugins/recency.ts';
import { servesModelFilter } from './plugins/serves-model.ts';
import { singleLoadFilter } from './plugins/single-load.ts';
import { spreadScorer } from './plugins/spread.ts';
import { stickyWindowFilter } from './plugins/sticky-window.ts';
import { warmthScorer } from './plugins/warmth.ts';

function byName<T extends { readonly name: string }>(plugins: readonly T[]): ReadonlyMap<string, T> {
  const out = new Map<string, T>();
  for (const p of plugins) {
    if (out.has(p.name)) throw new Error(`two plugins are named '${p.name}'`);
    out.set(p.name, p);
  }
  return out;
}

export const FILTERS: ReadonlyMap<string, Filter> = byName([
  healthyFilter,
  servesModelFilter,
  pinnedFilter,
  loadsOnDemandFilter,
  freeSlotFilter,
  modelCapacityFilter,
  stickyWindowFilter,
  breakEvenFilter,
  holdsFilter,
  singleLoadFilter,
]);

export const SCORERS: ReadonlyMap<string, Scorer> = byName([warmthScorer, loadScorer, affinityScorer, spreadScorer, recencyScorer, memoryScorer]);

export const PICKERS: ReadonlyMap<string, Picker> = byName([maxScorePicker]);
