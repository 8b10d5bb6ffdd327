// Baseline: round-robin over the admissible backends (Olla's `round-robin`):
// one counter, modulo the admissible list in policy order. Arrival order, no
// head-of-line blocking.
import { ARRIVAL_ORDER } from './ordering.ts';
import { ESSENTIAL_FILTERS, waitWhy } from './baseline.ts';
import type { Strategy } from './strategy.ts';

export const roundRobinStrategy: Strategy = {
  name: 'round-robin',
  filters: ESSENTIAL_FILTERS,
  headOfLineBlocks: false,
  agingBound: false,
  order: ARRIVAL_ORDER,
  choose: (_p, ev, cycle) => {
    if (ev.options.length === 0) return waitWhy(ev);
    const inOrder = [...ev.options].sort((a, b) => a.backend.index - b.backend.index);
    return { kind: 'dispatch', option: inOrder[cycle.nextTurn('round-robin') % inOrder.length]!, reason: 'baseline' };
  },
};
