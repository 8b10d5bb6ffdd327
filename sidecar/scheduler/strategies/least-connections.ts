// Baseline: least connections (Olla's default). Fewest requests in flight
// through this sidecar (Olla counts only its own); ties go round a rotating
// cursor so a recovered backend is not shadowed for ever.
import { ARRIVAL_ORDER } from './ordering.ts';
import { ESSENTIAL_FILTERS, waitWhy } from './baseline.ts';
import type { Strategy } from './strategy.ts';

export const leastConnectionsStrategy: Strategy = {
  name: 'least-connections',
  filters: ESSENTIAL_FILTERS,
  headOfLineBlocks: false,
  agingBound: false,
  order: ARRIVAL_ORDER,
  choose: (_p, ev, cycle) => {
    if (ev.options.length === 0) return waitWhy(ev);
    const fewest = Math.min(...ev.options.map((o) => o.backend.view.inFlight));
    const tied = ev.options.filter((o) => o.backend.view.inFlight === fewest).sort((a, b) => a.backend.index - b.backend.index);
    return { kind: 'dispatch', option: tied[cycle.nextTurn('least-connections') % tied.length]!, reason: 'baseline' };
  },
};
