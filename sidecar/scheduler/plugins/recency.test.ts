import { describe, expect, it } from 'vitest';
import { evaluate } from '../framework.ts';
import { req, setup } from '../testing/fixtures.ts';
import { cycleFor, placementOf } from '../testing/cycle.ts';
import { recencyScorer } from './recency.ts';

describe('recency scorer', () => {
  it('scores the most recent use of the model 1, the oldest 0, never used nothing', () => {
    const { policy, store } = setup([
      { name: 'old', models: ['a'] },
      { name: 'mid', models: ['a'] },
      { name: 'new', models: ['a'] },
      { name: 'never', models: ['a'] },
    ]);
    for (const [b, t] of [['old', 100], ['mid', 200], ['new', 300]] as const) {
      store.acquire(b, 'a', t);
      store.release(b, 'a', t);
    }
    const c = cycleFor(policy, store, 400);
    const p = placementOf(req('a'));
    expect(Object.fromEntries(recencyScorer.score(p, evaluate([], p, c).options, c))).toEqual({ old: 0, mid: 0.5, new: 1 });
  });
});
