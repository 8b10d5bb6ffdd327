// What a failed request says about its backend, through the real Envoy: a
// connection reset mid-exchange is not proof the server is gone (a live
// server under a burst resets connections it cannot accept), so the backend
// stays up and keeps its traffic; a server answering 500 FAILURE_STREAK times
// in a row is marked down. (A refused connection marks it down at the first
// failure: e2e/health.test.ts.)
import http from 'node:http';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { eventually, freePort, startGateway, type Gateway } from './harness.ts';
import { FAILURE_STREAK } from '../sidecar/backends/failure-evidence.ts';
import { startSim, type RunningSim } from '../sim/index.ts';

/** A TCP proxy to `target` that resets the first connection once the request arrives, and relays the rest. */
async function resetFirstConnection(target: URL): Promise<{ url: string; close(): Promise<void> }> {
  let connections = 0;
  const server = net.createServer((client) => {
    if (++connections === 1) {
      client.once('data', () => client.resetAndDestroy());
      return;
    }
    const upstream = net.connect(Number(target.port), target.hostname);
    client.pipe(upstream).pipe(client);
    const end = () => (client.destroy(), upstream.destroy());
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  });
  const port = await freePort();
  await new Promise<void>((ok) => server.listen(port, '127.0.0.1', ok));
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise((ok) => server.close(() => ok())) };
}

/** A server that answers every request with its own 500, as llama-swap does while a model process fails to start. */
async function answering500(): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(500, { 'content-type': 'text/plain' }).end('upstream command exited prematurely but successfully'));
  });
  const port = await freePort();
  await new Promise<void>((ok) => server.listen(port, '127.0.0.1', ok));
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise((ok) => server.close(() => ok())) };
}

let gw: Gateway;
let proxy: Awaited<ReturnType<typeof resetFirstConnection>>;
let broken: Awaited<ReturnType<typeof answering500>>;
let sim: RunningSim;

const chat = async (model: string) => {
  const r = await fetch(`${gw.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model, messages: [{ role: 'user', content: 'q' }] }),
  });
  return { status: r.status, body: (await r.json().catch(() => ({}))) as { error?: { code: string } } };
};

describe('failures short of a refused connection', () => {
  beforeAll(async () => {
    // The sim first, so the proxy knows where to relay; the gateway's policy then names the proxy.
    sim = await startSim({ name: 'b', kind: 'openai', models: [{ id: 'm1' }], defaultMaxTokens: 2 });
    proxy = await resetFirstConnection(new URL(sim.url));
    broken = await answering500();
    gw = await startGateway({
      policy: {
        backends: [
          { name: 'r', url: proxy.url, models: ['m1'] },
          { name: 'e', url: broken.url, models: ['m2'] },
        ],
      },
      probe: false, // only the request path can change health here
    });
  }, 60_000);
  afterAll(async () => {
    await gw?.stop();
    await proxy?.close();
    await broken?.close();
    await sim?.close();
  });

  it('a reset in-flight connection does not mark the backend down; the next request goes to it', async () => {
    const failures = vi.spyOn(gw.sidecar!.store, 'markRequestFailure');
    const first = await chat('m1');
    expect(first).toMatchObject({ status: 503, body: { error: { code: 'upstream_error' } } });
    await eventually(() => failures.mock.calls.length === 1, 10_000, 'the reset to be observed');
    expect(failures.mock.calls[0]![3]).toBe('exchange');
    expect(failures.mock.results[0]!.value).toEqual([]);
    expect(gw.sidecar!.store.status('r')?.healthy).toBe(true);
    const next = await chat('m1');
    expect(next.status).toBe(200);
    expect(sim.stats().requests).toBe(1); // the reset one never reached it; the next did
    failures.mockRestore();
  });

  it(`a backend answering 500 ${FAILURE_STREAK} times in a row is marked down, and then gets no traffic`, async () => {
    const failures = vi.spyOn(gw.sidecar!.store, 'markRequestFailure');
    for (let i = 1; i <= FAILURE_STREAK; i++) {
      expect((await chat('m2')).status).toBe(500); // the server's own answer reaches the client
      await eventually(() => failures.mock.calls.length === i, 10_000, `failure ${i} to be observed`);
      expect(failures.mock.calls[i - 1]![3]).toBe('answered');
      expect(gw.sidecar!.store.status('e')?.healthy).toBe(i < FAILURE_STREAK);
    }
    expect(await chat('m2')).toMatchObject({ status: 503, body: { error: { code: 'no_healthy_backend' } } });
    expect(gw.sidecar!.store.status('r')?.healthy).toBe(true);
    failures.mockRestore();
  });
});
