// Scorer: most recent use of the model on the backend. A recent turn leaves
// its prompt cache and the weights in the page cache, so reuse is cheaper.
// Min-max over the options; never used there scores 0.
import type { Scorer } from '../framework.ts';

export const recencyScorer: Scorer = {
  name: 'recency',
  score: (p, options) => {
    const used = options.map((o) => [o.backend.name, o.backend.view.models.get(p.model)?.lastUsedAt] as const);
    const times = used.flatMap(([, t]) => (t === undefined ? [] : [t]));
    const out = new Map<string, number>();
    if (times.length === 0) return out;
    const lo = Math.min(...times);
    const hi = Math.max(...times);
    for (const [name, t] of used) if (t !== undefined) out.set(name, hi === lo ? 1 : (t - lo) / (hi - lo));
    return out;
  },
};
