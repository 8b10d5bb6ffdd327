// Every adapter, fed garbage: it must resolve to a valid snapshot (never throw, never hang on
// a settled answer), and an answer it cannot use must read as unhealthy.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { BackendKind } from '../../policy/schema.ts';
import { BackendSnapshot } from '../snapshot.ts';
import { adapterFor } from './index.ts';
import { json, specFor, text } from './test-support.ts';
import type { ProbeHttp, ProbeResponse } from './types.ts';

const KINDS = BackendKind.options;

/** Answers the i-th GET with answers[i % n], whatever the path. */
function cycling(answers: ProbeResponse[]): ProbeHttp {
  let i = 0;
  return { get: async () => answers[i++ % answers.length] ?? text(500, '') };
}

describe.each(KINDS)('%s adapter on garbage', (kind) => {
  const adapter = adapterFor(kind);
  const spec = specFor(kind);

  it('non-JSON everywhere: unhealthy', async () => {
    const snap = await adapter.probe(cycling([text(200, '<html><body>It works!</body></html>')]), spec);
    expect(snap.healthy).toBe(false);
    expect(snap.error).toBeTruthy();
  });

  it('valid JSON of the wrong shape everywhere: unhealthy', async () => {
    for (const body of [null, [], 42, 'ok', { data: 'nope', models: 5, running: null }, { data: [{ id: 5 }], models: [{ name: null }], running: [{}] }]) {
      const snap = await adapter.probe(cycling([json(200, body)]), spec);
      expect(snap.healthy, JSON.stringify(body)).toBe(false);
    }
  });

  it('transport errors (rejected or thrown synchronously): unhealthy, no throw', async () => {
    const rejected = await adapter.probe({ get: () => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:8080')) }, spec);
    expect(rejected).toMatchObject({ healthy: false });
    expect(rejected.error).toContain('ECONNREFUSED');
    const thrown = await adapter.probe(
      {
        get(): Promise<ProbeResponse> {
          throw new TypeError('boom');
        },
      },
      spec,
    );
    expect(thrown).toMatchObject({ healthy: false });
  });

  it('5xx everywhere: unhealthy', async () => {
    expect((await adapter.probe(cycling([text(502, 'Bad Gateway')]), spec)).healthy).toBe(false);
  });

  it('property: any mix of answers gives a valid snapshot and never throws', async () => {
    const answer = fc.oneof(
      fc.record({ status: fc.constantFrom(200, 200, 200, 400, 404, 500, 501, 503), body: fc.json() }).map(({ status, body }) => text(status, body)),
      fc.record({ status: fc.constantFrom(200, 503), body: fc.string() }).map(({ status, body }) => text(status, body)),
      fc
        .record({
          data: fc.array(fc.record({ id: fc.oneof(fc.string(), fc.integer()), status: fc.option(fc.record({ value: fc.string() })), state: fc.option(fc.string()), loaded: fc.option(fc.boolean()) })),
          models: fc.option(fc.array(fc.record({ id: fc.string(), name: fc.string(), loaded: fc.boolean(), size: fc.oneof(fc.integer(), fc.double()) }))),
          running: fc.array(fc.record({ model: fc.string(), state: fc.string() })),
          total_slots: fc.integer(),
          is_sleeping: fc.boolean(),
          role: fc.constantFrom('router', 'x'),
          max_instances: fc.integer(),
          active_requests: fc.double(),
        })
        .map((v) => json(200, v)),
      fc.array(fc.record({ is_processing: fc.boolean(), state: fc.integer() })).map((v) => json(200, v)),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(answer, { minLength: 1, maxLength: 8 }), async (answers) => {
        const snap = await adapter.probe(cycling(answers), spec);
        expect(BackendSnapshot.safeParse(snap).success).toBe(true);
      }),
      { numRuns: 150 },
    );
  });
});
