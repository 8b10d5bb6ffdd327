// Load generators for bench/load.ts: many held streams over HTTP/2, a closed
// loop of short requests, and a burst of requests sent at once. Each records
// every outcome; none retries.
import { connect, type ClientHttp2Session } from 'node:http2';
import { Agent, request } from 'node:http';

export interface Outcome {
  status: number;
  ms: number;
  /** A refusal's JSON error code, or a transport error's message. */
  code?: string;
  /** A refusal's JSON error message (Envoy's carry its response-code details). */
  message?: string;
}

/** The JSON error code of an error body, if it has one. */
export function errorCode(body: string): string | undefined {
  return errorOf(body).code;
}

function errorOf(body: string): { code?: string; message?: string } {
  try {
    const j = JSON.parse(body) as { error?: { code?: unknown; message?: unknown } };
    return { ...(typeof j.error?.code === 'string' ? { code: j.error.code } : {}), ...(typeof j.error?.message === 'string' ? { message: j.error.message } : {}) };
  } catch {
    return {};
  }
}

export interface HeldResult {
  outcomes: Outcome[];
  /** Most streams open at once (response headers in, end not yet). */
  peakHeld: number;
  /** Streams that ended before the SSE `[DONE]` line. */
  incomplete: number;
}

/**
 * Opens `n` streaming requests at once over a few HTTP/2 connections (one
 * process cannot hold 10,000 HTTP/1.1 sockets under a 20,000 file limit
 * together with Envoy's), and reads each to its end.
 */
export async function holdStreams(port: number, n: number, body: Buffer, opts: { sessions: number; openPerMs?: number }): Promise<HeldResult> {
  const sessions: ClientHttp2Session[] = [];
  for (let i = 0; i < opts.sessions; i++) {
    const s = connect(`http://127.0.0.1:${port}`, { maxSessionMemory: 1024, settings: { initialWindowSize: 1024 * 1024 } });
    s.on('error', () => {});
    sessions.push(s);
  }
  let open = 0;
  let peakHeld = 0;
  let incomplete = 0;
  const one = (i: number): Promise<Outcome> =>
    new Promise((resolve) => {
      const start = performance.now();
      const req = sessions[i % sessions.length]!.request({ ':method': 'POST', ':path': '/v1/chat/completions', 'content-type': 'application/json', 'content-length': String(body.length) });
      let status = 0;
      let text = '';
      let counted = false;
      req.on('response', (h) => {
        status = Number(h[':status'] ?? 0);
        counted = true;
        peakHeld = Math.max(peakHeld, ++open);
      });
      req.setEncoding('utf8');
      req.on('data', (d: string) => {
        text = text.length > 4096 ? text.slice(-512) + d : text + d;
      });
      const done = (code?: string): void => {
        if (counted) open--;
        counted = false;
        if (status === 200 && !text.includes('[DONE]')) incomplete++;
        const e = status === 200 ? {} : errorOf(text);
        resolve({ status, ms: performance.now() - start, ...(status === 200 ? (code ? { code } : {}) : { code: code ?? e.code ?? text.slice(0, 80), ...(e.message ? { message: e.message } : {}) }) });
      };
      req.on('end', () => done());
      req.on('error', (e: Error) => done(e.message));
      req.end(body);
    });
  const all: Array<Promise<Outcome>> = [];
  const perMs = opts.openPerMs ?? 2;
  for (let i = 0; i < n; i++) {
    all.push(one(i));
    // Open at a bounded pace so the client's own event loop keeps reading.
    if (i % (perMs * 10) === perMs * 10 - 1) await new Promise((r) => setTimeout(r, 10));
  }
  const outcomes = await Promise.all(all);
  for (const s of sessions) s.close();
  return { outcomes, peakHeld, incomplete };
}

/** One POST over HTTP/1.1 keep-alive; never rejects. */
export function post(port: number, agent: Agent, body: Buffer): Promise<Outcome> {
  return new Promise((resolve) => {
    const start = performance.now();
    const req = request(
      { host: '127.0.0.1', port, path: '/v1/chat/completions', method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': String(body.length) } },
      (res) => {
        const status = res.statusCode ?? 0;
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => {
          if (status !== 200 && text.length < 4096) text += d;
        });
        res.on('end', () => {
          if (status === 200) return resolve({ status, ms: performance.now() - start });
          const e = errorOf(text);
          resolve({ status, ms: performance.now() - start, code: e.code ?? text.slice(0, 80), ...(e.message ? { message: e.message } : {}) });
        });
        res.on('error', (e) => resolve({ status: 0, ms: performance.now() - start, code: e.message }));
      },
    );
    req.on('error', (e) => resolve({ status: 0, ms: performance.now() - start, code: e.message }));
    req.end(body);
  });
}

/**
 * `clients` loops, each sending requests back to back for `seconds`. Every
 * outcome goes to `keep`; a long run passes a counter instead of an array.
 */
export async function closedLoop(port: number, body: Buffer, clients: number, seconds: number, keep: (o: Outcome) => void, maxRequests = Infinity): Promise<{ elapsedS: number }> {
  const agent = new Agent({ keepAlive: true, maxSockets: clients });
  const start = performance.now();
  const end = start + seconds * 1000;
  let sent = 0;
  const loop = async (): Promise<void> => {
    while (performance.now() < end && sent < maxRequests) {
      sent++;
      keep(await post(port, agent, body));
    }
  };
  await Promise.all(Array.from({ length: clients }, loop));
  const elapsedS = (performance.now() - start) / 1000;
  agent.destroy();
  return { elapsedS };
}

/** `n` requests sent at once (one connection each); resolves when all are answered. */
export async function burst(port: number, body: Buffer, n: number): Promise<{ outcomes: Outcome[]; elapsedS: number }> {
  const agent = new Agent({ keepAlive: false, maxSockets: Infinity });
  const start = performance.now();
  const outcomes = await Promise.all(Array.from({ length: n }, () => post(port, agent, body)));
  agent.destroy();
  return { outcomes, elapsedS: (performance.now() - start) / 1000 };
}

/** Sorted-array quantile (q in [0,1]); fine for a million samples. */
export function quantileOf(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

const keyOf = (o: Outcome): string => (o.status === 200 ? '200' : `${o.status} ${o.code ?? ''}`.trim());

/** Adds one outcome to counts by `status` (200) or `status code` (anything else). */
export function count(t: Record<string, number>, o: Outcome): void {
  const k = keyOf(o);
  t[k] = (t[k] ?? 0) + 1;
}

/** The first error message seen for each kind of refusal (what Envoy's details say about it). */
export function errorSamples(outcomes: readonly Outcome[], into: Record<string, string> = {}): Record<string, string> {
  for (const o of outcomes) if (o.status !== 200 && o.message && !(keyOf(o) in into)) into[keyOf(o)] = o.message;
  return into;
}

/** Counts of outcomes by `status` or `status code`. */
export function tally(outcomes: readonly Outcome[]): Record<string, number> {
  const t: Record<string, number> = {};
  for (const o of outcomes) count(t, o);
  return t;
}
