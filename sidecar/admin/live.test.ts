import { afterEach, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import { LiveStatus } from './live.ts';
import { eventually } from '../../e2e/harness.ts';

let server: Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  server = undefined;
});

async function serve(live: LiveStatus): Promise<string> {
  server = createServer((req, res) => live.attach(req, res));
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', () => r()));
  const a = server.address();
  return `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}/`;
}

describe('LiveStatus (/events)', () => {
  it('sends the status at once, again only when it changes, and stops sampling when nobody watches', async () => {
    let version = 1;
    let t = 1000;
    const live = new LiveStatus(() => ({ now: (t += 10), body: { version } }), { intervalMs: 20, heartbeatMs: 60_000 });
    const url = await serve(live);
    const abort = new AbortController();
    const res = await fetch(url, { signal: abort.signal });
    const reader = res.body!.getReader();
    let text = '';
    const frames = () => [...text.matchAll(/^data: (.*)$/gm)].map((m) => JSON.parse(m[1]!) as { now: number; version: number });
    const pump = (async () => {
      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) return;
          text += new TextDecoder().decode(value);
        }
      } catch {
        // aborted below
      }
    })();
    await eventually(() => frames().length === 1, 10_000, 'the first frame');
    expect(frames()[0]).toMatchObject({ version: 1 });
    await eventually(() => t > 1300, 10_000, 'the sampler to run a while'); // ≥ 30 samples of an unchanged status
    expect(frames()).toHaveLength(1);
    version = 2;
    await eventually(() => frames().length === 2, 10_000, 'the changed status');
    expect(frames()[1]).toMatchObject({ version: 2 });
    expect(live.watchers()).toBe(1);
    abort.abort();
    await pump;
    await eventually(() => live.watchers() === 0, 10_000, 'the viewer to be dropped');
    const sampled = t;
    await new Promise((r) => setTimeout(r, 200));
    expect(t).toBe(sampled); // no viewer, no sampling
  });
});
