// The sidecar is SIGKILLed and started again while streams run on a backend.
// The streams finish; the new sidecar serves again, and within one probe
// interval its view of the backend is rebuilt from the probe: the streams it
// never saw count as external load (llama-server reports them), and a request
// it routes itself is not counted twice.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { client, shortChat, streamChat } from './sidecar-clients.ts';
import { startFaultGateway, type FaultGateway, type SidecarStatus } from './sidecar-process.ts';
import { eventually } from '../harness.ts';

const PROBE_INTERVAL_MS = 1000;
/** Room for a probe round trip and scheduling on a busy machine. */
const SLACK_MS = 4000;
const OLD_STREAMS = 4;

let gw: FaultGateway;
beforeAll(async () => {
  gw = await startFaultGateway({
    // 80 tokens at 10/s: the old streams run ~8 s, across the restart.
    sims: { a: { kind: 'llama-server', models: [{ id: 'm1', loaded: true }], slots: 8, ttftMs: 20, tokensPerSec: 10 } },
    policy: { backends: [{ name: 'a', kind: 'llama-server', url: 'sim:a', models: ['m1'], probe: { interval_ms: PROBE_INTERVAL_MS } }] },
  });
}, 60_000);
afterAll(async () => {
  await gw?.stop();
});

const backendA = (s: SidecarStatus): SidecarStatus['backends'][number] => s.backends.find((b) => b.name === 'a')!;

it('a restarted sidecar serves again, rebuilds running load from probes within one interval, and counts nothing twice', async () => {
  const c = client(gw.url);
  let started = 0;
  const old = Array.from({ length: OLD_STREAMS }, () => streamChat(c, 'm1', 80, () => started++));
  await eventually(() => started === OLD_STREAMS, 30_000, 'the old streams have their first token');

  await gw.sidecar.kill();
  expect(await shortChat(c, 'm1')).toMatchObject({ status: 503, code: 'router_unavailable' });

  await gw.sidecar.start();
  // Within one probe interval (+ slack) of starting: healthy, warm, and the
  // streams started by the previous process counted as the backend's load.
  await eventually(
    async () => {
      const a = backendA(await gw.status());
      return a.healthy && a.models.m1 === 'warm' && a.externalInFlight === OLD_STREAMS && a.inFlight === 0;
    },
    PROBE_INTERVAL_MS + SLACK_MS,
    'state rebuilt from probes',
  );

  // A request the new sidecar routes is its own in-flight, not external load too.
  let fresh = 0;
  const next = streamChat(c, 'm1', 30, () => fresh++);
  await eventually(() => fresh === 1, 30_000, 'the new stream has its first token');
  let maxCounted = 0;
  await eventually(
    async () => {
      const a = backendA(await gw.status());
      maxCounted = Math.max(maxCounted, a.inFlight + a.externalInFlight);
      return a.inFlight === 1 && a.externalInFlight === OLD_STREAMS;
    },
    PROBE_INTERVAL_MS + SLACK_MS,
    'one own request plus the old streams',
  );
  expect(maxCounted, 'never more than the backend runs').toBeLessThanOrEqual(OLD_STREAMS + 1);

  for (const o of await Promise.all(old)) expect(o, JSON.stringify(o)).toMatchObject({ tokens: 80, finishReason: 'length', error: undefined });
  expect(await next).toMatchObject({ tokens: 30, finishReason: 'length', error: undefined });
  // Once everything ended and a probe saw it, nothing is left counted.
  await eventually(
    async () => {
      const s = await gw.status();
      const a = backendA(s);
      return a.inFlight === 0 && a.externalInFlight === 0 && s.queued === 0;
    },
    PROBE_INTERVAL_MS + SLACK_MS,
    'load back to 0',
  );
}, 90_000);
