// A minimal keep-alive HTTP client for sequential latency measurements:
// node:http with one persistent connection per target, timing from the call
// to the last response byte.
import { Agent, request } from 'node:http';

export interface Target {
  name: string;
  port: number;
  agent: Agent;
}

export function target(name: string, port: number): Target {
  return { name, port, agent: new Agent({ keepAlive: true, maxSockets: 1 }) };
}

export interface Timed {
  ms: number;
  status: number;
  body: string;
  headers: Record<string, string | string[] | undefined>;
}

export function postTimed(t: Target, path: string, body: Buffer, headers: Record<string, string> = {}): Promise<Timed> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const req = request(
      {
        host: '127.0.0.1',
        port: t.port,
        path,
        method: 'POST',
        agent: t.agent,
        headers: { 'content-type': 'application/json', 'content-length': String(body.length), ...headers },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ ms: performance.now() - start, status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), headers: res.headers }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** A request that must succeed: a non-200 aborts the benchmark (a fast error would look like a fast route). */
export async function postOk(t: Target, path: string, body: Buffer, headers: Record<string, string> = {}): Promise<number> {
  const r = await postTimed(t, path, body, headers);
  if (r.status !== 200) throw new Error(`${t.name}: HTTP ${r.status}: ${r.body.slice(0, 300)}`);
  return r.ms;
}
