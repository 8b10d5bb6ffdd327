import { describe, expect, it } from 'vitest';
import { evaluate } from '../framework.ts';
import { req, setup } from '../testing/fixtures.ts';
import { cycleFor, placementOf } from '../testing/cycle.ts';
import { spreadScorer } from './spread.ts';

function scores(sessions: Record<string, string>, sessionKey: string | undefined, turns: Array<[string, string]> = []) {
  const { policy, store } = setup(['b1', 'b2', 'b3'].map((name) => ({ name, models: ['a'] })));
  const c = cycleFor(policy, store, 1, { sessions, turns });
  const p = placementOf(req('a', { sessionKey }));
  return Object.fromEntries(spreadScorer.score(p, evaluate([], p, c).options, c));
}

describe('spread scorer', () => {
  it('scores a new conversation by how few turns of conversations each backend ran lately', () => {
    expect(scores({ s1: 'b1', s2: 'b1', s3: 'b2' }, 'new')).toEqual({ b1: 0, b2: 0.5, b3: 1 });
  });
  it('weighs a busy conversation by its turns, not as one conversation', () => {
    // b1 is home to one conversation that sent 6 turns; b2 to three that sent one each.
    const hot: Array<[string, string]> = Array.from({ length: 5 }, () => ['hot', 'b1']);
    expect(scores({ hot: 'b1', s1: 'b2', s2: 'b2', s3: 'b2' }, 'new', hot)).toEqual({ b1: 0, b2: 0.5, b3: 1 });
  });
  it('scores all alike when no conversation is homed yet (the rendezvous hash then decides)', () => {
    expect(scores({}, 'new')).toEqual({ b1: 1, b2: 1, b3: 1 });
  });
  it('leaves an established conversation to affinity, and requests without a session alone', () => {
    expect(scores({ s1: 'b1' }, 's1')).toEqual({});
    expect(scores({ s1: 'b1' }, undefined)).toEqual({});
  });
});
