import { describe, expect, it } from 'vitest';
import { evaluate } from '../framework.ts';
import { req, setup } from '../testing/fixtures.ts';
import { cycleFor, placementOf } from '../testing/cycle.ts';
import { affinityScorer } from './affinity.ts';

function scores(homeLoad: number, otherLoad: number) {
  const { policy, store } = setup([
    { name: 'home', models: ['a'], slots: 8 },
    { name: 'other', models: ['a'], slots: 8 },
  ]);
  for (let i = 0; i < homeLoad; i++) store.acquire('home', 'a', 0);
  for (let i = 0; i < otherLoad; i++) store.acquire('other', 'a', 0);
  const c = cycleFor(policy, store, 1, { sessions: { chat: 'home' } });
  const p = placementOf(req('a', { sessionKey: 'chat' }));
  return Object.fromEntries(affinityScorer.score(p, evaluate([], p, c).options, c));
}

describe('affinity scorer', () => {
  it("scores the session's backend while one more request keeps it within 1.25× the mean load (⌈1.25 × (total + 1) / n⌉)", () => {
    expect(scores(0, 0)).toEqual({ home: 1 });
    expect(scores(3, 2)).toEqual({ home: 1 }); // 4 ≤ ⌈1.25 × 6 / 2⌉ = 4
    expect(scores(6, 6)).toEqual({ home: 1 }); // 7 ≤ ⌈1.25 × 13 / 2⌉ = 9
  });

  it('lets go when the session backend would exceed the bound', () => {
    expect(scores(2, 0)).toEqual({}); // 3 > ⌈1.25 × 3 / 2⌉ = 2
    expect(scores(9, 4)).toEqual({}); // 10 > ⌈1.25 × 14 / 2⌉ = 9
  });

  it('scores nothing without a session or for an unknown session', () => {
    const { policy, store } = setup([{ name: 'home', models: ['a'] }]);
    const c = cycleFor(policy, store, 1, { sessions: { chat: 'home' } });
    for (const p of [placementOf(req('a')), placementOf(req('a', { sessionKey: 'other' }))])
      expect(affinityScorer.score(p, evaluate([], p, c).options, c).size).toBe(0);
  });
});
