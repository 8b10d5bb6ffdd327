// A backend marked down refuses only NEW requests (503 no_healthy_backend at
// admission). Requests admitted while it was up keep their place: the running
// one completes normally, the queued one waits (bounded by the queue timeout)
// and is dispatched once a probe brings the backend back.
import { describe, expect, it } from 'vitest';
import { dispatchOf, probe, rejectOf, req, setup } from './testing/fixtures.ts';

describe('requests admitted before their backend went down', () => {
  it('are neither refused nor expired early; new ones are refused until a probe says up', () => {
    const { sched, store } = setup([{ name: 'b1', models: ['a'], slots: 1 }]);
    probe(store, 'b1', { a: 'warm' }, 0);
    expect(dispatchOf(sched.submit(req('a', { id: 'running' }), 0), 'running')?.record.backend).toBe('b1');
    expect(sched.submit(req('a', { id: 'queued' }), 1)).toEqual([]);

    store.markRequestFailure('b1', 2, 'connection refused', 'connect');
    for (const t of [3, 1_000, 5_000]) expect(sched.tick(t).filter((o) => o.type === 'reject')).toEqual([]);
    expect(rejectOf(sched.submit(req('a', { id: 'new' }), 5_001), 'new')).toMatchObject({ status: 503, code: 'no_healthy_backend' });
    expect(sched.queueLength()).toBe(1);

    // The running request ends normally; its slot goes to no one while b1 is down.
    const out = sched.complete('running', 6_000, { ok: true, durationMs: 6_000 });
    expect(out.filter((o) => o.type === 'reject' || o.type === 'dispatch')).toEqual([]);
    expect([sched.queueLength(), sched.inFlight()]).toEqual([1, 0]);

    probe(store, 'b1', { a: 'warm' }, 7_000);
    expect(dispatchOf(sched.tick(7_000), 'queued')?.record.backend).toBe('b1');
  });
});
