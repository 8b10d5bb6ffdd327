import { describe, expect, it } from 'vitest';
import { evaluate } from '../framework.ts';
import { req, setup } from '../testing/fixtures.ts';
import { cycleFor, placementOf } from '../testing/cycle.ts';
import { affinityScorer } from './affinity.ts';
import { MEAN_LOAD_TIME_CONSTANT_MS } from '../mean-load.ts';
import { rendezvousOrder } from '../rendezvous.ts';

/** Affinity's scores when `homeLoad` and `otherLoad` requests have been running since t = 0, read at `now` (by default long enough for the time averages to reach them). */
function scores(homeLoad: number, otherLoad: number, now = 20 * MEAN_LOAD_TIME_CONSTANT_MS) {
  const { policy, store } = setup([
    { name: 'home', models: ['a'], slots: 8 },
    { name: 'other', models: ['a'], slots: 8 },
  ]);
  for (let i = 0; i < homeLoad; i++) store.acquire('home', 'a', 0);
  for (let i = 0; i < otherLoad; i++) store.acquire('other', 'a', 0);
  const c = cycleFor(policy, store, now, { sessions: { chat: 'home' } });
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

  it('bounds time-averaged loads: an imbalance of a moment keeps the home, one that lasts lets go', () => {
    // Nine requests started on the home a second ago, none on the other: the averages are 9 × (1 − e^−0.1) ≈ 0.86 and 0,
    // one and none in whole requests.
    expect(scores(9, 0, 1_000)).toEqual({ home: 1 }); // 1 + 1 ≤ ⌈1.25 × 2 / 2⌉ = 2
    // After one time constant, 9 × (1 − e^−1) ≈ 5.7, six in whole requests: the home is over the bound.
    expect(scores(9, 0, MEAN_LOAD_TIME_CONSTANT_MS)).toEqual({}); // 6 + 1 > ⌈1.25 × 7 / 2⌉ = 5
    // A small average beside an idle server is no imbalance: one request that ran 0.9 s averages 0.09, none in whole requests.
    expect(scores(1, 0, 900)).toEqual({ home: 1 });
  });

  it('scores nothing without a session', () => {
    const { policy, store } = setup([{ name: 'home', models: ['a'] }]);
    const c = cycleFor(policy, store, 1, { sessions: { chat: 'home' } });
    const p = placementOf(req('a'));
    expect(affinityScorer.score(p, evaluate([], p, c).options, c).size).toBe(0);
  });

  it('with replicas, homes a session it has not seen by the rendezvous hash of its key, the same on every replica', () => {
    const replicated = { sidecar: { replicas: ['10.0.0.9:18090'] } };
    const { policy, store } = setup(['b1', 'b2', 'b3', 'b4'].map((name) => ({ name, models: ['a'], slots: 8 })), replicated);
    const homes = new Set<string>();
    for (let i = 0; i < 40; i++) {
      const key = `conv-${i}`;
      const p = placementOf(req('a', { sessionKey: key }));
      // Two replicas with empty session tables: each is its own cycle.
      const [one, two] = [cycleFor(policy, store, 1), cycleFor(policy, store, 2)].map((c) => [...affinityScorer.score(p, evaluate([], p, c).options, c).keys()]);
      expect(one).toHaveLength(1);
      expect(two).toEqual(one);
      expect(one![0]).toBe(rendezvousOrder(key, ['b1', 'b2', 'b3', 'b4'])[0]);
      homes.add(one![0]!);
    }
    // New conversations spread over equally good backends.
    expect(homes.size).toBeGreaterThan(1);
  });

  it('without replicas, leaves a session it has not seen to the spread scorer', () => {
    const { policy, store } = setup(['b1', 'b2'].map((name) => ({ name, models: ['a'], slots: 8 })));
    const c = cycleFor(policy, store, 1);
    const p = placementOf(req('a', { sessionKey: 'new' }));
    expect(affinityScorer.score(p, evaluate([], p, c).options, c).size).toBe(0);
  });
});
