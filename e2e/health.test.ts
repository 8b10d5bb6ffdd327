// A backend that refuses connections is marked down by the first failed
// request (seen by the observing filter), before any probe would notice, and
// gets no more traffic.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, freePort, startGateway, type Gateway } from './harness.ts';

let gw: Gateway;

describe('failures seen on requests', () => {
  beforeAll(async () => {
    const deadPort = await freePort(); // nothing listens here
    gw = await startGateway({
      sims: { b: { kind: 'openai', models: [{ id: 'm1' }], defaultMaxTokens: 2 } },
      policy: {
        backends: [
          { name: 'a', url: `http://127.0.0.1:${deadPort}`, models: ['m1', 'm2'] },
          { name: 'b', url: 'sim:b', models: ['m1'] },
        ],
      },
      probe: false, // only the request path can tell that a is down
    });
  });
  afterAll(() => gw.stop());

  it('the first request to a dead backend fails with a JSON 503; after that it gets no traffic', async () => {
    const chat = async (model: string) => {
      const r = await fetch(`${gw.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model, messages: [{ role: 'user', content: 'q' }] }),
      });
      return { status: r.status, retryAfter: r.headers.get('retry-after'), body: (await r.json()) as { error?: { code: string } } };
    };
    const first = await chat('m2'); // only a serves m2
    expect(first).toMatchObject({ status: 503, body: { error: { code: 'upstream_error' } } });
    await eventually(() => gw.sidecar!.store.status('a')?.healthy === false, 2000, 'a to be marked down');
    // m2 is now refused at once (no pile-up on a dead backend), with Retry-After.
    const again = await chat('m2');
    expect(again).toMatchObject({ status: 503, body: { error: { code: 'no_healthy_backend' } } });
    expect(Number(again.retryAfter)).toBeGreaterThanOrEqual(1);
    // m1 goes to b every time.
    for (let i = 0; i < 5; i++) expect((await chat('m1')).status).toBe(200);
    expect(gw.sims.b!.stats().requests).toBe(5);
  });
});
