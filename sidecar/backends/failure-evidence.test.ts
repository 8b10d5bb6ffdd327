import { describe, expect, it } from 'vitest';
import { Datastore } from './datastore.ts';
import { Policy } from '../policy/schema.ts';
import { FAILURE_STREAK, FAILURE_STREAK_WINDOW_MS, failureReason, upstreamFailureOf } from './failure-evidence.ts';

const store = () => new Datastore(Policy.parse({ backends: [{ name: 'a', url: 'http://10.0.0.1:8080', models: ['m1'] }] }));
const healthy = (s: Datastore) => s.views()[0]!.healthy;
const DOWN = [{ backend: 'a', kind: 'health', from: 'up', to: 'down' }];

describe('what a failed request says about its backend', () => {
  it('classifies Envoy code details: refused or timed-out connects, resets, answers, its own overflow', () => {
    // Seen from the real Envoy 1.40 (e2e/upstream-failures.test.ts drives both).
    expect(upstreamFailureOf(503, 'upstream_reset_before_response_started{remote_connection_failure|delayed_connect_error:_Connection_refused}')).toBe('connect');
    expect(upstreamFailureOf(503, 'upstream_reset_before_response_started{connection_failure,delayed_connect_error:_111}')).toBe('connect');
    expect(upstreamFailureOf(503, 'upstream_reset_before_response_started{connection_timeout}')).toBe('connect');
    expect(upstreamFailureOf(503, 'no_healthy_upstream')).toBe('connect');
    expect(upstreamFailureOf(503, 'upstream_reset_before_response_started{connection_termination}')).toBe('exchange');
    expect(upstreamFailureOf(503, 'upstream_reset_before_response_started{remote_reset}')).toBe('exchange');
    expect(upstreamFailureOf(504, 'response_timeout')).toBe('exchange');
    expect(upstreamFailureOf(500, 'via_upstream')).toBe('answered');
    expect(upstreamFailureOf(503, 'upstream_reset_before_response_started{overflow}')).toBe('gateway');
    expect(upstreamFailureOf(502, undefined)).toBe('exchange');
    expect(upstreamFailureOf(200, 'via_upstream')).toBeUndefined();
    expect(upstreamFailureOf(429, 'via_upstream')).toBeUndefined();
  });

  it('a refused connection marks the backend down at the first failure, with a reason saying so', () => {
    const s = store();
    expect(s.markRequestFailure('a', 10, failureReason(503, 'connect'), 'connect')).toEqual(DOWN);
    expect(healthy(s)).toBe(false);
    expect(s.status('a')?.failure).toBe('HTTP 503 on a request (could not connect)');
  });

  it(`a reset or the server's own 5xx marks it down only at the ${FAILURE_STREAK}th in a row within the window`, () => {
    for (const kind of ['exchange', 'answered'] as const) {
      const s = store();
      for (let i = 1; i < FAILURE_STREAK; i++) {
        expect(s.markRequestFailure('a', i * 100, 'x', kind)).toEqual([]);
        expect(healthy(s)).toBe(true);
      }
      expect(s.markRequestFailure('a', FAILURE_STREAK * 100, 'x', kind)).toEqual(DOWN);
      expect(healthy(s)).toBe(false);
      // A probe brings it back as for any other down; the streak starts over.
      s.applyProbe('a', { ok: true, snapshot: { healthy: true, models: [], knowsLoaded: true, loading: false } }, 10_000);
      expect(healthy(s)).toBe(true);
      expect(s.markRequestFailure('a', 10_001, 'x', kind)).toEqual([]);
      expect(healthy(s)).toBe(true);
    }
  });

  it('any answered request in between ends the streak', () => {
    const s = store();
    for (let i = 0; i < 10 * FAILURE_STREAK; i++) {
      if (i % (FAILURE_STREAK - 1) === 0) s.markRequestSuccess('a');
      expect(s.markRequestFailure('a', i, 'reset', 'exchange')).toEqual([]);
    }
    expect(healthy(s)).toBe(true);
  });

  it('failures spread wider than the window are not a streak', () => {
    const s = store();
    const step = FAILURE_STREAK_WINDOW_MS / (FAILURE_STREAK - 1) + 1;
    for (let i = 0; i < 5 * FAILURE_STREAK; i++) expect(s.markRequestFailure('a', i * step, 'x', 'answered')).toEqual([]);
    expect(healthy(s)).toBe(true);
  });

  it("Envoy's own overflow never counts against the backend", () => {
    const s = store();
    for (let i = 0; i < 5 * FAILURE_STREAK; i++) expect(s.markRequestFailure('a', i, 'overflow', 'gateway')).toEqual([]);
    expect(healthy(s)).toBe(true);
  });
});
