// Scorer: most free memory, relative to the option with the most. Backends
// that do not report memory score 0.
import type { Scorer } from '../framework.ts';

export const memoryScorer: Scorer = {
  name: 'memory',
  score: (_p, options) => {
    const out = new Map<string, number>();
    const most = Math.max(0, ...options.map((o) => o.backend.view.freeMemoryBytes ?? 0));
    if (most <= 0) return out;
    for (const o of options) if (o.backend.view.freeMemoryBytes !== undefined) out.set(o.backend.name, Math.max(0, o.backend.view.freeMemoryBytes) / most);
    return out;
  },
};
