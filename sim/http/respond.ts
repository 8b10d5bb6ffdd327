// Writing answers: JSON, plain text, Server-Sent Events and NDJSON. Streams
// write their headers lazily on the first event so that a request still waiting
// for a model load can be answered with a plain error status instead.
import type { ServerResponse } from 'node:http';

export type Headers = Record<string, string>;

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Headers = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

export function sendText(res: ServerResponse, status: number, text: string, contentType: string, headers: Headers = {}): void {
  res.writeHead(status, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

/** A text/event-stream answer. */
export class SseWriter {
  private started = false;

  constructor(
    private readonly res: ServerResponse,
    private readonly headers: Headers = {},
  ) {}

  /** `data: {json}\n\n`, optionally preceded by an `event:` line (Anthropic, Responses). */
  send(data: unknown, event?: string): void {
    this.open();
    const prefix = event ? `event: ${event}\n` : '';
    this.res.write(`${prefix}data: ${JSON.stringify(data)}\n\n`);
  }

  done(): void {
    this.open();
    this.res.write('data: [DONE]\n\n');
  }

  end(): void {
    this.open();
    this.res.end();
  }

  /** Send the headers now (long-lived event streams); otherwise the first event does. */
  open(): void {
    if (this.started) return;
    this.started = true;
    this.res.writeHead(200, { 'Content-Type': 'text/event-stream', 'X-Accel-Buffering': 'no', ...this.headers });
    this.res.flushHeaders();
  }
}

/** Ollama's newline-delimited JSON stream. */
export class NdjsonWriter {
  private started = false;

  constructor(private readonly res: ServerResponse) {}

  send(obj: unknown): void {
    if (!this.started) {
      this.started = true;
      this.res.writeHead(200, { 'Content-Type': 'application/x-ndjson' });
    }
    this.res.write(`${JSON.stringify(obj)}\n`);
  }

  end(): void {
    this.res.end();
  }
}
