import { describe, expect, it } from 'vitest';
import { evaluate } from '../framework.ts';
import { probe, req, setup } from '../testing/fixtures.ts';
import { cycleFor, placementOf } from '../testing/cycle.ts';
import { loadScorer } from './load.ts';

describe('load scorer', () => {
  it('scores 1 − (ours + external in flight) / slots', () => {
    const { policy, store } = setup([
      { name: 'idle', models: ['a'], slots: 4 },
      { name: 'half', models: ['a'], slots: 4 },
      { name: 'external', models: ['a'], slots: 4 },
    ]);
    store.acquire('half', 'a', 0);
    store.acquire('half', 'a', 0);
    probe(store, 'external', { a: 'warm' }, 0, { inFlight: 3 });
    const c = cycleFor(policy, store, 1);
    const p = placementOf(req('a'));
    expect(Object.fromEntries(loadScorer.score(p, evaluate([], p, c).options, c))).toEqual({ idle: 1, half: 0.5, external: 0.25 });
  });
});
