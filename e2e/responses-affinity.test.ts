// previous_response_id is hard affinity: only the backend that produced a
// response holds it, so the decision is 'pinned' (not a soft session preference). The observing filter reads /v1/responses bodies (and
// only those) to learn each response id's backend.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import { startGateway, type Gateway } from './harness.ts';

let gw: Gateway;
const served = () => ({ a: gw.sims.a!.stats().requests, b: gw.sims.b!.stats().requests });
const backendOf = (before: { a: number; b: number }) => (served().a > before.a ? 'a' : 'b');

describe('previous_response_id', () => {
  beforeAll(async () => {
    const sim = { kind: 'openai' as const, models: [{ id: 'm1' }], slots: 8, defaultMaxTokens: 3 };
    gw = await startGateway({
      sims: { a: { ...sim, ttftMs: 0 }, b: { ...sim, ttftMs: 0 } },
      policy: { backends: ['a', 'b'].map((name) => ({ name, url: `sim:${name}`, models: ['m1'], slots: 8 })) },
      probe: false,
    });
  });
  afterAll(() => gw.stop());

  it('an id the gateway never saw pins nothing (the request is routed normally)', async () => {
    const r = await fetch(`${gw.url}/v1/responses`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'm1', input: 'x', previous_response_id: 'resp_unknown' }) });
    await r.text();
    expect(r.status).toBe(200);
    expect(gw.sidecar!.scheduler.recentDecisions().at(-1)!.reason).not.toBe('pinned');
  });

  it.each([false, true])('follows the response to its backend even when that backend is busier (stream %s)', async (stream) => {
    const client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: 'x' });
    let before = served();
    let firstId: string;
    if (stream) {
      const s = await client.responses.create({ model: 'm1', input: 'first turn', stream: true });
      let id: string | undefined;
      for await (const ev of s) if (ev.type === 'response.created') id = ev.response.id;
      firstId = id!;
    } else firstId = (await client.responses.create({ model: 'm1', input: 'first turn' })).id;
    expect(firstId).toMatch(/^resp_/);
    const home = backendOf(before);
    const other = home === 'a' ? 'b' : 'a';

    for (let turn = 0; turn < 4; turn++) {
      before = served();
      const r = await client.responses.create({ model: 'm1', input: `turn ${turn}`, previous_response_id: firstId });
      expect(r.id).toMatch(/^resp_/);
      expect(backendOf(before), `turn ${turn} served by ${other}, not ${home}`).toBe(home);
      expect(gw.sidecar!.scheduler.recentDecisions().at(-1)).toMatchObject({ reason: 'pinned', backend: home });
    }
  });
});
