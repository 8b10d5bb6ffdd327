import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { httpProbe } from './http.ts';
import { llamaServerAdapter } from './llama-server.ts';
import { specFor } from './test-support.ts';

let server: Server;
let base: string;
const seen: string[] = [];

function handle(req: IncomingMessage, res: ServerResponse): void {
  seen.push(req.url ?? '');
  const url = new URL(req.url ?? '/', 'http://x');
  switch (url.pathname) {
    case '/prefix/v1/models':
    case '/v1/models':
      res.writeHead(200, { 'Content-Type': 'application/json', 'X-Custom': 'Yes' }).end(JSON.stringify({ data: [{ id: 'm' }], q: url.search }));
      return;
    case '/hang':
      return; // never answers
    case '/stall-body':
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.write('{"data":');
      return; // the rest never comes
    case '/big':
      res.writeHead(200, { 'Content-Type': 'text/plain' }).end('x'.repeat(10_000));
      return;
    case '/redirect':
      res.writeHead(302, { Location: '/v1/models' }).end();
      return;
    default:
      res.writeHead(404).end();
  }
}

beforeAll(async () => {
  server = createServer(handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

describe('httpProbe (real HTTP)', () => {
  it('returns status, lower-case headers and body; keeps the query and a base path', async () => {
    const res = await httpProbe(`${base}/prefix/`, { timeoutMs: 2000 }).get('/v1/models?model=a%2Fb&autoload=false');
    expect(res.status).toBe(200);
    expect(res.headers['x-custom']).toBe('Yes');
    expect(JSON.parse(res.body)).toEqual({ data: [{ id: 'm' }], q: '?model=a%2Fb&autoload=false' });
    expect(seen).toContain('/prefix/v1/models?model=a%2Fb&autoload=false');
  });

  it('a server that never answers: rejects after the timeout', async () => {
    const started = Date.now();
    await expect(httpProbe(base, { timeoutMs: 150 }).get('/hang')).rejects.toThrow(/timed out after 150 ms/);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('the timeout covers the body too', async () => {
    await expect(httpProbe(base, { timeoutMs: 150 }).get('/stall-body')).rejects.toThrow(/timed out/);
  });

  it('a body over the cap is refused', async () => {
    await expect(httpProbe(base, { timeoutMs: 2000, maxBodyBytes: 1000 }).get('/big')).rejects.toThrow(/larger than 1000 bytes/);
    expect((await httpProbe(base, { timeoutMs: 2000, maxBodyBytes: 20_000 }).get('/big')).body).toHaveLength(10_000);
  });

  it('redirects are answers, not followed', async () => {
    expect((await httpProbe(base, { timeoutMs: 2000 }).get('/redirect')).status).toBe(302);
  });

  it('connection refused rejects', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    await expect(httpProbe(`http://127.0.0.1:${port}`, { timeoutMs: 2000 }).get('/health')).rejects.toThrow();
  });

  it('an outside signal ends GETs at once', async () => {
    const stop = new AbortController();
    const pending = httpProbe(base, { timeoutMs: 5000, signal: stop.signal }).get('/hang');
    stop.abort(new Error('sidecar stopping'));
    await expect(pending).rejects.toThrow(/sidecar stopping/);
  });

  it('an adapter over a hanging server: unhealthy snapshot, no throw', async () => {
    const hangs = httpProbe(base, { timeoutMs: 100 });
    const snap = await llamaServerAdapter.probe({ get: () => hangs.get('/hang') }, specFor('llama-server'));
    expect(snap.healthy).toBe(false);
    expect(snap.error).toMatch(/timed out/);
  });
});
