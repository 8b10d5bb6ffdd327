// GET /events: server-sent events carrying the status document whenever it
// changes. One shared timer samples the status while anyone is watching
// (none otherwise), so the cost does not grow with the number of viewers;
// a comment line every so often keeps idle connections (and proxies) open.
import type { IncomingMessage, ServerResponse } from 'node:http';

export interface LiveOptions {
  /** How often the status is sampled while someone watches. */
  intervalMs?: number;
  heartbeatMs?: number;
}

export class LiveStatus {
  private readonly clients = new Set<ServerResponse>();
  private timer: NodeJS.Timeout | undefined;
  private lastBody = '';
  private lastSentAt = 0;
  private readonly intervalMs: number;
  private readonly heartbeatMs: number;

  /** `snapshot` returns the status with its sampling time apart, so an unchanged fleet is not re-sent. */
  constructor(
    private readonly snapshot: () => { now: number; body: Record<string, unknown> },
    o: LiveOptions = {},
  ) {
    this.intervalMs = o.intervalMs ?? 500;
    this.heartbeatMs = o.heartbeatMs ?? 15_000;
  }

  attach(_req: IncomingMessage, res: ServerResponse): void {
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', 'x-accel-buffering': 'no' });
    res.write('retry: 2000\n\n');
    const { now, body } = this.snapshot();
    const json = JSON.stringify(body);
    res.write(frame(now, json));
    // The first viewer's snapshot is the baseline; later viewers must not reset it (the others have not seen it).
    if (this.clients.size === 0) this.lastBody = json;
    this.clients.add(res);
    res.once('close', () => this.detach(res)); // the viewer went away (or the server is closing)
    if (!this.timer) {
      this.timer = setInterval(() => this.sample(), this.intervalMs);
      this.timer.unref();
    }
  }

  watchers(): number {
    return this.clients.size;
  }

  close(): void {
    for (const res of this.clients) res.end();
    this.clients.clear();
    this.stop();
  }

  private detach(res: ServerResponse): void {
    this.clients.delete(res);
    if (this.clients.size === 0) this.stop();
  }

  private stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.lastBody = '';
  }

  private sample(): void {
    const { now, body } = this.snapshot();
    const json = JSON.stringify(body);
    let out: string;
    if (json !== this.lastBody) {
      this.lastBody = json;
      out = frame(now, json);
    } else if (now - this.lastSentAt >= this.heartbeatMs) out = ': still here\n\n';
    else return;
    this.lastSentAt = now;
    for (const res of this.clients) res.write(out);
  }
}

/** One SSE message: the status JSON with `now` put back in front. */
function frame(now: number, json: string): string {
  return `data: {"now":${now},${json.slice(1)}\n\n`;
}
