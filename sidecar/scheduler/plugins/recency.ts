// Scorer: most recent use of the model on the backend, for options where it
// is not warm: weights read lately are likely still in the page cache, so a
// load there is cheaper. Min-max over those options; never used there scores
// 0. Warm options score nothing: recency says nothing more about them, and
// preferring the most recently used warm server piles every new conversation
// onto the last one (issue 13); affinity and spread decide those.
import type { Scorer } from '../framework.ts';

export const recencyScorer: Scorer = {
  name: 'recency',
  score: (p, options) => {
    const used = options.filter((o) => o.state !== 'warm').map((o) => [o.backend.name, o.backend.view.models.get(p.model)?.lastUsedAt] as const);
    const times = used.flatMap(([, t]) => (t === undefined ? [] : [t]));
    const out = new Map<string, number>();
    if (times.length === 0) return out;
    const lo = Math.min(...times);
    const hi = Math.max(...times);
    for (const [name, t] of used) if (t !== undefined) out.set(name, hi === lo ? 1 : (t - lo) / (hi - lo));
    return out;
  },
};
