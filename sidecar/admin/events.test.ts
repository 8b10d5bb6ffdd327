import { describe, expect, it } from 'vitest';
import { FleetEvents } from './events.ts';

describe('FleetEvents', () => {
  it('keeps a bounded ring and answers "what came after seq"', () => {
    const ev = new FleetEvents(3);
    for (let i = 0; i < 5; i++) ev.transition({ backend: 'a', kind: 'model', model: `m${i}`, from: 'cold', to: 'loading' }, i);
    expect(ev.since().map((e) => e.seq)).toEqual([3, 4, 5]);
    expect(ev.since(4).map((e) => e.model)).toEqual(['m4']);
    expect(ev.since(1).map((e) => e.seq)).toEqual([3, 4, 5]);
    expect(ev.since(5)).toEqual([]);
  });

  it('names loads, unloads and health changes, with the reason', () => {
    const ev = new FleetEvents();
    ev.transition({ backend: 'a', kind: 'model', model: 'm', from: 'loading', to: 'warm', loadMs: 1200 }, 1);
    ev.transition({ backend: 'a', kind: 'model', model: 'm', from: 'warm', to: 'cold' }, 2);
    ev.transition({ backend: 'a', kind: 'health', from: 'up', to: 'down' }, 3, 'HTTP 502 on a request');
    ev.transition({ backend: 'a', kind: 'model', model: 'n', from: 'loading', to: 'cold' }, 4);
    expect(ev.since().map((e) => [e.kind, e.loadMs, e.reason])).toEqual([
      ['warm', 1200, undefined],
      ['unloaded', undefined, undefined],
      ['down', undefined, 'HTTP 502 on a request'],
      ['model', undefined, undefined],
    ]);
  });

  it('records a load (and the unload it forces) when a cold-load decision is made, and ignores warm dispatches', () => {
    const ev = new FleetEvents();
    const base = { requestId: 'r1', model: 'm', backend: 'a', backendModelId: 'm', queuedMs: 0, at: 7 };
    ev.decided({ ...base, reason: 'warm' });
    ev.decided({ ...base, reason: 'cold-load', evicts: 'old' });
    expect(ev.since()).toEqual([
      { seq: 1, at: 7, kind: 'unloaded', backend: 'a', model: 'old', from: 'warm', to: 'cold', reason: 'making room for m' },
      { seq: 2, at: 7, kind: 'load-started', backend: 'a', model: 'm', from: 'cold', to: 'loading', reason: 'request r1' },
    ]);
  });

  it('remembers the last probe error per backend and counts consecutive failures', () => {
    const ev = new FleetEvents();
    ev.probed('a', false, 1, 'ECONNREFUSED');
    ev.probed('a', false, 2, 'ECONNREFUSED');
    expect(ev.probe('a')).toEqual({ lastAt: 2, ok: false, failures: 2, lastError: 'ECONNREFUSED', lastErrorAt: 2 });
    ev.probed('a', true, 3, undefined);
    expect(ev.probe('a')).toMatchObject({ ok: true, failures: 0, lastError: 'ECONNREFUSED', lastErrorAt: 2 });
    ev.keepOnly(new Set(['b']));
    expect(ev.probe('a')).toBeUndefined();
  });
});
