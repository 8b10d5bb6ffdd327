// More ext_proc streams than one HTTP/2 connection to the sidecar may see
// reset: Envoy resets every ext_proc stream it closes, and the sidecar's
// HTTP/2 server (nghttp2's rapid-reset guard: 1,000 resets, then 33 a second)
// used to answer with GOAWAY, refusing the streams Envoy had opened past it
// (503 router_unavailable, remote_refused_stream_reset). With the sidecar up,
// no request may be refused for that.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startGateway, type Gateway } from '../harness.ts';
import { closedLoopCount } from './sidecar-load.ts';

const REQUESTS = 4000;
let gw: Gateway;
beforeAll(async () => {
  gw = await startGateway({
    sims: { a: { kind: 'openai', models: [{ id: 'm1', loaded: true }], slots: 64, ttftMs: 0, tokensPerSec: 100_000, defaultMaxTokens: 1 } },
    policy: { backends: [{ name: 'a', kind: 'openai', url: 'sim:a', models: ['m1'], slots: 64 }] },
  });
}, 60_000);
afterAll(async () => {
  await gw?.stop();
});

it(`${REQUESTS} requests from 32 clients: every one answered 200, and the sidecar never sent GOAWAY`, async () => {
  const counts = await closedLoopCount(gw.url, 'm1', 32, REQUESTS);
  expect(counts).toEqual({ '200': REQUESTS });
  const stats = await (await fetch(`http://127.0.0.1:${gw.policy.envoy.admin_port}/stats?filter=^cluster\\.warmroute_sidecar`)).text();
  const goaways = [...stats.matchAll(/^cluster\.(warmroute_sidecar\w*)\.upstream_cx_close_notify: (\d+)$/gm)].map((m) => [m[1], Number(m[2])]);
  expect(goaways.length).toBe(2);
  for (const [cluster, n] of goaways) expect(n, `${cluster} got GOAWAY`).toBe(0);
  // The streams did spread over several connections (500 streams each at most).
  const opened = Number(/^cluster\.warmroute_sidecar\.upstream_cx_total: (\d+)$/m.exec(stats)?.[1] ?? 0);
  expect(opened).toBeGreaterThanOrEqual(Math.ceil(REQUESTS / 500));
}, 180_000);
