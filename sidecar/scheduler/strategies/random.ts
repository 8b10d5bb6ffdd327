// Baseline: uniform random among the admissible backends, from the injected
// (seedable) generator. Arrival order, no head-of-line blocking.
import { ARRIVAL_ORDER } from './ordering.ts';
import { ESSENTIAL_FILTERS, waitWhy } from './baseline.ts';
import type { Strategy } from './strategy.ts';

export const randomStrategy: Strategy = {
  name: 'random',
  filters: ESSENTIAL_FILTERS,
  headOfLineBlocks: false,
  agingBound: false,
  order: ARRIVAL_ORDER,
  choose: (_p, ev, cycle) => {
    if (ev.options.length === 0) return waitWhy(ev);
    const inOrder = [...ev.options].sort((a, b) => a.backend.index - b.backend.index);
    const i = Math.min(inOrder.length - 1, Math.floor(cycle.random() * inOrder.length));
    return { kind: 'dispatch', option: inOrder[i]!, reason: 'baseline' };
  },
};
