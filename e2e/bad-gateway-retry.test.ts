// A llama-swap box answers an empty 502 when the keep-alive connection it
// reused to its model server was closed under it: llama-swap proxies with Go's
// httputil.ReverseProxy and sets no ErrorHandler (internal/process/
// process_command.go), whose default answers 502 with no body and logs
// `http: proxy error: EOF`, as bench:peers saw it do (in 2 ms, between two
// successful requests). The model server never answered, so nothing was
// generated. Through the real Envoy, the route retries that 502 once before
// any byte reaches the client: the client gets its whole answer (streamed or
// not, through the official SDK with its own retries off), the backend is
// asked twice, and the sidecar's accounting comes back to zero with the
// backend still up. A 500 (the server's own verdict) is not retried.
import http from 'node:http';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, freePort, startGateway, type Gateway } from './harness.ts';
import { startSim, type RunningSim } from '../sim/index.ts';

interface Front {
  url: string;
  /** Chat requests that reached the box, and how many it failed. */
  chats: number;
  failed: number;
  /** Fail the next `n` chat requests with `status` (an empty body, as Go's ReverseProxy writes it). */
  failNext(n: number, status: number): void;
  close(): Promise<void>;
}

/** The simulated llama-swap box behind an HTTP front that can fail chat requests the way llama-swap's proxy does. */
async function front(target: string): Promise<Front> {
  let failing = 0;
  let status = 502;
  const f: Front = {
    url: '',
    chats: 0,
    failed: 0,
    failNext(n, s) {
      failing = n;
      status = s;
    },
    close: () => new Promise((ok) => server.close(() => ok())),
  };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const isChat = req.method === 'POST' && req.url === '/v1/chat/completions';
      if (isChat) f.chats++;
      if (isChat && failing > 0) {
        failing--;
        f.failed++;
        res.writeHead(status).end();
        return;
      }
      const up = http.request(`${target}${req.url}`, { method: req.method, headers: req.headers }, (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      });
      up.on('error', () => res.destroy());
      up.end(Buffer.concat(chunks));
    });
  });
  const port = await freePort();
  await new Promise<void>((ok) => server.listen(port, '127.0.0.1', ok));
  f.url = `http://127.0.0.1:${port}`;
  return f;
}

let sim: RunningSim;
let box: Front;
let gw: Gateway;
let client: OpenAI;

const settled = async (): Promise<void> =>
  eventually(() => gw.sidecar!.control.running() === 0 && gw.sidecar!.store.totalInFlight() === 0, 15_000, 'in-flight accounting back to 0');

describe('a llama-swap 502 before any response byte', () => {
  beforeAll(async () => {
    sim = await startSim({ name: 'box', kind: 'llama-swap', models: [{ id: 'm1', loaded: true }], defaultMaxTokens: 4, loadInitMs: 10, timeScale: 0.1 });
    box = await front(sim.url);
    gw = await startGateway({ policy: { backends: [{ name: 'box', kind: 'llama-swap', url: box.url, models: ['m1'], probe: { interval_ms: 500 } }] } });
    await eventually(() => gw.sidecar!.store.views().every((v) => v.healthy), 30_000, 'the box probed healthy');
    // The SDK's own retries off: only Envoy's retry may recover the request.
    client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: 'none', maxRetries: 0, timeout: 60_000 });
  }, 90_000);
  afterAll(async () => {
    await gw?.stop();
    await box?.close();
    await sim?.close();
  });

  it('is retried once: the client gets the whole answer, the box was asked twice, accounting holds', async () => {
    const before = box.chats;
    box.failNext(1, 502);
    const answer = await client.chat.completions.create({ model: 'm1', messages: [{ role: 'user', content: 'hello' }], max_tokens: 4 });
    expect(answer.choices[0]!.message.content).toBeTruthy();
    expect(answer.choices[0]!.finish_reason).toBeTruthy();
    expect(box.chats - before).toBe(2);
    await settled();
    expect(gw.sidecar!.store.views()[0]!.healthy).toBe(true);
  }, 60_000);

  it('is retried once for a streamed request: every chunk arrives once, ending with the finish reason', async () => {
    const before = box.chats;
    box.failNext(1, 502);
    const stream = await client.chat.completions.create({ model: 'm1', messages: [{ role: 'user', content: 'hello' }], max_tokens: 4, stream: true });
    const finishes: string[] = [];
    let chunks = 0;
    for await (const c of stream) {
      chunks++;
      const f = c.choices[0]?.finish_reason;
      if (f) finishes.push(f);
    }
    expect(chunks).toBeGreaterThan(0);
    expect(finishes).toHaveLength(1);
    expect(box.chats - before).toBe(2);
    await settled();
  }, 60_000);

  /** The box fails `failures` chat requests with `status`: the client gets that status, the box was asked `asked` times. */
  const refusedWith = async (failures: number, status: number, asked: number): Promise<void> => {
    const before = box.chats;
    box.failNext(failures, status);
    await expect(client.chat.completions.create({ model: 'm1', messages: [{ role: 'user', content: 'hello' }], max_tokens: 4 })).rejects.toMatchObject({ status });
    expect(box.chats - before).toBe(asked);
    await settled();
  };

  it('is retried only once: a box that answers 502 twice gives the client that 502', () => refusedWith(2, 502, 2), 60_000);

  it('does not retry a 500, the server’s own verdict', () => refusedWith(1, 500, 1), 60_000);
});
