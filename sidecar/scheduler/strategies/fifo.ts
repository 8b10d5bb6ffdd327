// Baseline: llama-swap's default FIFO. Strict arrival order and head-of-line
// blocking: when the oldest request cannot start, nothing behind it starts.
// The choice mirrors llama-swap's decision tree: serve where the model is
// ready, else join a load in progress, else start one on the first admissible
// backend in policy order. No sticky window, no priority, no aging.
import { ARRIVAL_ORDER } from './ordering.ts';
import { ESSENTIAL_FILTERS, waitWhy } from './baseline.ts';
import type { Strategy } from './strategy.ts';

export const fifoStrategy: Strategy = {
  name: 'fifo',
  filters: ESSENTIAL_FILTERS,
  headOfLineBlocks: true,
  agingBound: false,
  order: ARRIVAL_ORDER,
  choose: (_p, ev) => {
    if (ev.options.length === 0) return waitWhy(ev);
    const inOrder = [...ev.options].sort((a, b) => a.backend.index - b.backend.index);
    const option = inOrder.find((o) => o.state === 'warm') ?? inOrder.find((o) => o.state === 'loading') ?? inOrder[0]!;
    return { kind: 'dispatch', option, reason: 'baseline' };
  },
};
