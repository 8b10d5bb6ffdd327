import { describe, expect, it } from 'vitest';
import { evaluate } from '../framework.ts';
import { probe, req, setup } from '../testing/fixtures.ts';
import { cycleFor, placementOf } from '../testing/cycle.ts';
import { WARMTH_SCORES, warmthScorer } from './warmth.ts';

describe('warmth scorer', () => {
  it('ranks warm ≫ loading ≫ cold with room ≫ cold that unloads another model', () => {
    const models = ['a', 'x'];
    const { policy, store } = setup([
      { name: 'warm', models },
      { name: 'loading', models },
      { name: 'room', models },
      { name: 'evicting', models, max_models: 1 },
    ]);
    probe(store, 'warm', { a: 'warm' }, 0);
    probe(store, 'loading', { a: 'loading' }, 0);
    probe(store, 'evicting', { x: 'warm' }, 0);
    const c = cycleFor(policy, store, 1);
    const p = placementOf(req('a'));
    const scores = warmthScorer.score(p, evaluate([], p, c).options, c);
    expect(Object.fromEntries(scores)).toEqual({ warm: 1, loading: 0.5, room: 0.2, evicting: 0 });
    expect(WARMTH_SCORES.warm).toBeGreaterThan(WARMTH_SCORES.loading);
  });
});
