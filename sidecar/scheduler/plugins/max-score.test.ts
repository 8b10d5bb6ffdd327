import { describe, expect, it } from 'vitest';
import { evaluate } from '../framework.ts';
import { rendezvousOrder } from '../rendezvous.ts';
import { req, setup } from '../testing/fixtures.ts';
import { cycleFor, placementOf } from '../testing/cycle.ts';
import { maxScorePicker } from './max-score.ts';

const names = ['b3', 'b1', 'b2'];
const { policy, store } = setup(names.map((name) => ({ name, models: ['a'] })));
const cycle = cycleFor(policy, store, 0);

function pick(totals: Record<string, number>, sessionKey?: string) {
  const p = placementOf(req('a', { sessionKey }));
  return maxScorePicker.pick(p, evaluate([], p, cycle).options, new Map(Object.entries(totals))).backend.name;
}

describe('max-score picker', () => {
  it('picks the highest weighted sum', () => {
    expect(pick({ b3: 1, b1: 2.5, b2: 2 })).toBe('b1');
  });

  it('breaks ties by rendezvous weight of the session key, the same on every replica', () => {
    const winners = new Set<string>();
    for (const key of ['s1', 's2', 's3', 's4', 's5', 's6', 's7', 's8']) {
      const expected = rendezvousOrder(key, names)[0]!;
      expect(pick({ b3: 1, b1: 1, b2: 1 }, key)).toBe(expected);
      winners.add(expected);
    }
    // Different sessions spread over the tied backends (not all by name).
    expect(winners.size).toBeGreaterThan(1);
    // With only two tied, the winner is the better of those two.
    const key = 'conversation-42';
    expect(pick({ b3: 0, b1: 2, b2: 2 }, key)).toBe(rendezvousOrder(key, ['b1', 'b2'])[0]);
  });

  it('breaks ties by name without a session key', () => {
    expect(pick({ b3: 1, b1: 1, b2: 1 })).toBe('b1');
    expect(pick({ b3: 1, b1: 0, b2: 1 })).toBe('b2');
  });

  it('treats sums equal up to floating-point noise as ties', () => {
    expect(pick({ b3: 0.1 + 0.2, b1: 0.3, b2: 0 })).toBe('b1');
  });
});
