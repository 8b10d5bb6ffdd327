import { describe, expect, it } from 'vitest';
import { SessionTable } from './sessions.ts';

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

describe('session table: conversations homed per backend', () => {
  it('counts live sessions per backend through moves, repeats, evictions and expiry', () => {
    const t = new SessionTable(3, 1000);
    t.set('s1', 'b1', 0);
    t.set('s1', 'b1', 10); // another turn, same home
    t.set('s2', 'b1', 20);
    t.set('s3', 'b2', 30);
    expect([t.homedOn('b1', 40), t.homedOn('b2', 40)]).toEqual([2, 1]);
    t.set('s2', 'b2', 50); // moved
    expect([t.homedOn('b1', 60), t.homedOn('b2', 60)]).toEqual([1, 2]);
    t.set('s4', 'b3', 70); // evicts the least recently used (s1)
    expect([t.homedOn('b1', 80), t.homedOn('b3', 80)]).toEqual([0, 1]);
    expect(t.homedOn('b2', 2000)).toBe(0); // idled out
  });

  it('keeps the counts right across a resize', () => {
    const t = new SessionTable(10, 60_000);
    for (let i = 0; i < 4; i++) t.set(`s${i}`, i % 2 === 0 ? 'b1' : 'b2', i);
    t.resize(3, 60_000, 10);
    expect(t.homedOn('b1', 10) + t.homedOn('b2', 10)).toBe(3);
  });
});
