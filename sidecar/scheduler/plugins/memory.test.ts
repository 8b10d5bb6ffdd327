import { describe, expect, it } from 'vitest';
import { evaluate } from '../framework.ts';
import { probe, req, setup } from '../testing/fixtures.ts';
import { cycleFor, placementOf } from '../testing/cycle.ts';
import { memoryScorer } from './memory.ts';

describe('memory scorer', () => {
  it('scores free memory relative to the most free; unreported scores nothing', () => {
    const { policy, store } = setup([
      { name: 'big', models: ['a'] },
      { name: 'small', models: ['a'] },
      { name: 'unknown', models: ['a'] },
    ]);
    probe(store, 'big', {}, 0, { freeBytes: 8e9 });
    probe(store, 'small', {}, 0, { freeBytes: 2e9 });
    const c = cycleFor(policy, store, 1);
    const p = placementOf(req('a'));
    expect(Object.fromEntries(memoryScorer.score(p, evaluate([], p, c).options, c))).toEqual({ big: 1, small: 0.25 });
  });
});
