import { describe, expect, it } from 'vitest';
import { SESSION_TURNS_TIME_CONSTANT_MS, SessionTable } from './sessions.ts';

describe('session table', () => {
  it('forgets a session after the idle TTL on the injected clock; a dispatch refreshes it, a lookup does not', () => {
    const t = new SessionTable(10, 1000);
    t.set('s', 'b1', 0);
    expect(t.get('s', 900)).toBe('b1');
    expect(t.get('s', 1001)).toBeUndefined();
    t.set('s', 'b2', 2000);
    t.set('s', 'b2', 2800); // another turn
    expect(t.get('s', 3500)).toBe('b2');
    expect(t.get('s', 3801)).toBeUndefined();
  });

  it('keeps at most max entries, dropping the least recently used', () => {
    const t = new SessionTable(2, 60_000);
    t.set('a', 'b1', 0);
    t.set('b', 'b1', 1);
    t.set('c', 'b1', 2);
    expect(t.size()).toBe(2);
    expect(t.get('a', 3)).toBeUndefined();
    expect(t.get('c', 3)).toBe('b1');
  });

  it('resizes keeping the most recent entries and their remaining idle time', () => {
    const t = new SessionTable(3, 10_000);
    t.set('a', 'b1', 0);
    t.set('b', 'b2', 1000);
    t.set('c', 'b3', 2000);
    t.resize(2, 10_000, 5000);
    expect(t.get('a', 5000)).toBeUndefined();
    expect(t.get('b', 5000)).toBe('b2');
    expect(t.get('c', 5000)).toBe('b3');
    expect(t.get('b', 11_001)).toBeUndefined(); // set at 1000, 10 s idle
    expect(t.get('c', 11_001)).toBe('b3');
  });
});

describe('session table: recent conversation turns per backend', () => {
  it('counts every turn on the backend that ran it, decayed over SESSION_TURNS_TIME_CONSTANT_MS', () => {
    const t = new SessionTable(3, 1000);
    t.set('s1', 'b1', 0);
    t.set('s1', 'b1', 0); // another turn, same home: work, where a count of homes saw one conversation
    t.set('s2', 'b2', 0);
    expect([t.recentTurnsOn('b1', 0), t.recentTurnsOn('b2', 0), t.recentTurnsOn('b3', 0)]).toEqual([2, 1, 0]);
    expect(t.recentTurnsOn('b1', SESSION_TURNS_TIME_CONSTANT_MS)).toBeCloseTo(2 / Math.E, 9);
    t.set('s1', 'b2', SESSION_TURNS_TIME_CONSTANT_MS); // moved: the new backend ran this turn
    expect(t.recentTurnsOn('b2', SESSION_TURNS_TIME_CONSTANT_MS)).toBeCloseTo(1 / Math.E + 1, 9);
  });
});
