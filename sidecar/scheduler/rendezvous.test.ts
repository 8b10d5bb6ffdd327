import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { rendezvousOrder, rendezvousWeight } from './rendezvous.ts';

describe('rendezvous hashing', () => {
  it('is deterministic', () => {
    expect(rendezvousWeight('session-1', 'b1')).toBe(rendezvousWeight('session-1', 'b1'));
    expect(rendezvousOrder('session-1', ['b1', 'b2', 'b3'])).toEqual(rendezvousOrder('session-1', ['b3', 'b2', 'b1']));
  });

  it('moves only the keys of a removed backend', () => {
    fc.assert(
      fc.property(fc.string(), (key) => {
        const all = ['b1', 'b2', 'b3', 'b4'];
        const before = rendezvousOrder(key, all)[0]!;
        const after = rendezvousOrder(key, all.filter((b) => b !== 'b4'))[0]!;
        return before === 'b4' || before === after;
      }),
    );
  });

  it('spreads keys over backends', () => {
    const counts = new Map<string, number>();
    for (let i = 0; i < 3000; i++) {
      const top = rendezvousOrder(`s${i}`, ['b1', 'b2', 'b3'])[0]!;
      counts.set(top, (counts.get(top) ?? 0) + 1);
    }
    for (const b of ['b1', 'b2', 'b3']) expect(counts.get(b)).toBeGreaterThan(800);
  });
});
