// Scorer: where the model already is. Warm ≫ loading (join the load) ≫ cold,
// and a cold load that fits beside what the backend holds beats one that
// unloads another model (which someone may want back).
import type { Scorer } from '../framework.ts';

export const WARMTH_SCORES = { warm: 1, loading: 0.5, coldWithRoom: 0.2, coldEvicting: 0 } as const;

export const warmthScorer: Scorer = {
  name: 'warm',
  score: (_p, options) =>
    new Map(
      options.map((o) => [
        o.backend.name,
        o.state === 'warm' ? WARMTH_SCORES.warm : o.state === 'loading' ? WARMTH_SCORES.loading : o.fit.kind === 'evict' ? WARMTH_SCORES.coldEvicting : WARMTH_SCORES.coldWithRoom,
      ]),
    ),
};
