// Small helpers shared by the e2e/slice-*.test.ts files: HTTP calls through
// the gateway, SSE reading with arrival times, JSON error checks, Envoy admin
// stats, and a recording stub backend that speaks Ollama's native API (the
// simulator serves the OpenAI/Anthropic paths only).
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'vitest';
import type { Gateway } from './harness.ts';

export const JSON_HEADERS = { 'content-type': 'application/json' } as const;
export const ANTHROPIC_HEADERS = { 'content-type': 'application/json', 'anthropic-version': '2023-06-01' } as const;

export function post(url: string, body: unknown, headers: Record<string, string> = {}, init: RequestInit = {}): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { ...JSON_HEADERS, ...headers },
    body: typeof body === 'string' || body === undefined ? (body as string | undefined) : JSON.stringify(body),
    ...init,
  });
}

/** Requests each sim has started generating for (the simulator's own counter). */
export function simRequests(gw: Gateway): Record<string, number> {
  return Object.fromEntries(Object.entries(gw.sims).map(([k, s]) => [k, s.stats().requests]));
}

/** Runs `fn` and returns which sims' request counters went up (and by how much). */
export async function servedBy<T>(gw: Gateway, fn: () => Promise<T>): Promise<{ result: T; served: Record<string, number> }> {
  const before = simRequests(gw);
  const result = await fn();
  const after = simRequests(gw);
  const served: Record<string, number> = {};
  for (const k of Object.keys(after)) if (after[k]! !== before[k]!) served[k] = after[k]! - before[k]!;
  return { result, served };
}

export interface SseEvent {
  /** ms since `t0` when the read() that completed this event returned. */
  at: number;
  event?: string;
  data: string;
}

/** Reads a whole text/event-stream body, timestamping each event by when its bytes arrived. */
export async function readSse(res: Response, t0 = Date.now(), onEvent?: (e: SseEvent, all: SseEvent[]) => void | Promise<void>): Promise<{ events: SseEvent[]; reads: number[] }> {
  const reader = res.body!.getReader();
  const dec = new TextDecoder();
  const events: SseEvent[] = [];
  const reads: number[] = [];
  let buf = '';
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    const at = Date.now() - t0;
    reads.push(at);
    buf += dec.decode(value, { stream: true });
    let idx: number;
    while ((idx = buf.indexOf('\n\n')) >= 0) {
      const block = buf.slice(0, idx);
      buf = buf.slice(idx + 2);
      const ev: SseEvent = { at, data: '' };
      const data: string[] = [];
      for (const line of block.split('\n')) {
        if (line.startsWith('event:')) ev.event = line.slice(6).trim();
        else if (line.startsWith('data:')) data.push(line.slice(5).trimStart());
      }
      ev.data = data.join('\n');
      events.push(ev);
      await onEvent?.(ev, events);
    }
  }
  return { events, reads };
}

/** Content deltas of an OpenAI chat completion stream. */
export function chatDeltas(events: SseEvent[]): string[] {
  const out: string[] = [];
  for (const e of events) {
    if (e.data === '[DONE]') continue;
    const j = JSON.parse(e.data) as { choices?: Array<{ delta?: { content?: string } }> };
    const c = j.choices?.[0]?.delta?.content;
    if (c) out.push(c);
  }
  return out;
}

export interface JsonErrorBody {
  type?: string;
  error: { message: string; type: string; code: string };
}

/** Asserts an OpenAI-style JSON error (`{"error":{"message","type","code"}}`, content-type application/json) and returns it. */
export async function expectJsonError(res: Response, status: number, code?: string): Promise<JsonErrorBody> {
  const text = await res.text();
  expect(res.status, `status (body: ${text})`).toBe(status);
  expect(res.headers.get('content-type') ?? '', `content-type (body: ${text})`).toMatch(/^application\/json/);
  let body: JsonErrorBody;
  try {
    body = JSON.parse(text) as JsonErrorBody;
  } catch {
    throw new Error(`error body is not JSON: ${JSON.stringify(text)}`);
  }
  expect(body.error, text).toBeTypeOf('object');
  expect(body.error.message, text).toBeTypeOf('string');
  expect(body.error.message.length, text).toBeGreaterThan(0);
  expect(body.error.type, text).toBeTypeOf('string');
  expect(body.error.code, text).toBeTypeOf('string');
  if (code !== undefined) expect(body.error.code, text).toBe(code);
  return body;
}

/** Envoy's ext_proc counters (http.warmroute.ext_proc.*), by short name. */
export async function extProcStats(gw: Gateway): Promise<Record<string, number>> {
  const text = await (await fetch(`http://127.0.0.1:${gw.envoy.adminPort}/stats?filter=http\\.warmroute\\.ext_proc\\.`)).text();
  const out: Record<string, number> = {};
  for (const line of text.trim().split('\n')) {
    const m = /^http\.warmroute\.ext_proc\.([\w.]+): (\d+)$/.exec(line.trim());
    if (m) out[m[1]!] = Number(m[2]);
  }
  return out;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------------------
// A recording stub of Ollama's native API (/api/chat, /api/generate,
// /api/embed, /api/embeddings). Every request is recorded with its exact
// body bytes; answers carry `x-stub: <name>` so the client sees who served.

export interface StubRequest {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
}

export interface OllamaStub {
  name: string;
  url: string;
  requests: StubRequest[];
  close(): Promise<void>;
}

export async function startOllamaStub(name: string, opts: { chunks?: number; chunkDelayMs?: number } = {}): Promise<OllamaStub> {
  const requests: StubRequest[] = [];
  const chunks = opts.chunks ?? 3;
  const chunkDelayMs = opts.chunkDelayMs ?? 20;
  const server: Server = createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (d: Buffer) => parts.push(d));
    req.on('end', () => {
      void (async () => {
        const body = Buffer.concat(parts).toString('utf8');
        const path = (req.url ?? '/').split('?')[0]!;
        requests.push({ method: req.method ?? 'GET', path, headers: req.headers, body });
        let j: { model?: string; stream?: boolean } = {};
        try {
          j = JSON.parse(body) as typeof j;
        } catch {
          res.writeHead(400, { 'content-type': 'application/json', 'x-stub': name }).end(JSON.stringify({ error: 'invalid JSON' }));
          return;
        }
        const model = j.model ?? '';
        const created_at = new Date().toISOString();
        const json = (o: unknown): void => {
          res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'x-stub': name }).end(JSON.stringify(o));
        };
        if (req.method === 'POST' && (path === '/api/embed' || path === '/api/embeddings')) {
          if (path === '/api/embed') return json({ model, embeddings: [[0.1, 0.2, 0.3]], total_duration: 1000, load_duration: 10, prompt_eval_count: 2 });
          return json({ embedding: [0.1, 0.2, 0.3] });
        }
        if (req.method === 'POST' && (path === '/api/chat' || path === '/api/generate')) {
          const isChat = path === '/api/chat';
          const piece = (i: number): Record<string, unknown> =>
            isChat ? { message: { role: 'assistant', content: `${name}-${i} ` } } : { response: `${name}-${i} ` };
          const final = { done: true, done_reason: 'stop', total_duration: 1000, eval_count: chunks };
          if (j.stream === false) {
            return json({
              model,
              created_at,
              ...(isChat
                ? { message: { role: 'assistant', content: Array.from({ length: chunks }, (_, i) => `${name}-${i} `).join('') } }
                : { response: Array.from({ length: chunks }, (_, i) => `${name}-${i} `).join('') }),
              ...final,
            });
          }
          res.writeHead(200, { 'content-type': 'application/x-ndjson', 'x-stub': name });
          for (let i = 0; i < chunks; i++) {
            res.write(JSON.stringify({ model, created_at, ...piece(i), done: false }) + '\n');
            await sleep(chunkDelayMs);
          }
          res.end(JSON.stringify({ model, created_at, ...(isChat ? { message: { role: 'assistant', content: '' } } : { response: '' }), ...final }) + '\n');
          return;
        }
        res.writeHead(404, { 'content-type': 'text/plain', 'x-stub': name }).end('404 page not found');
      })();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    name,
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** Parses an NDJSON body into objects. */
export function ndjson(text: string): Array<Record<string, unknown>> {
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}
