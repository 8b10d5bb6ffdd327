// Scorer: least in-flight ratio. Requests running there (ours and other
// clients') over its slots; an idle backend scores 1.
import type { Scorer } from '../framework.ts';

export const loadScorer: Scorer = {
  name: 'load',
  score: (_p, options) => new Map(options.map((o) => [o.backend.name, 1 - Math.min(1, o.backend.load / Math.max(1, o.backend.view.slots))])),
};
