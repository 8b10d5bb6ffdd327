// Writes recorded requests to a trace file. The request path only pushes a
// small object into a bounded in-memory buffer; a timer formats and appends
// the buffer to the file asynchronously. Session keys are hashed with a salt
// drawn per file, so conversations stay linkable within one recording and
// nowhere else. Bodies are never seen here.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { appendFile, mkdir } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import type { RecordSpec } from './record-spec.ts';
import { BYTES_PER_TOKEN } from './scheduler-port.ts';
import { formatTraceLine, formatTraceMeta, type TraceRequestInput } from './trace.ts';

export interface RecordedRequest {
  model: string;
  /** Raw session key; hashed when written. */
  sessionKey?: string;
  /** Clock ms. */
  arrivedAt: number;
  dispatchedAt?: number;
  endedAt: number;
  promptBytes: number;
  stream: boolean;
  backend?: string;
  outcome: string;
}

/** The path to write: `file` itself, or with the first free numeric suffix when it exists. */
export function freshPath(file: string): string {
  if (!existsSync(file)) return file;
  const ext = extname(file);
  const stem = join(dirname(file), basename(file, ext));
  for (let i = 1; ; i++) {
    const candidate = `${stem}.${i}${ext}`;
    if (!existsSync(candidate)) return candidate;
  }
}

export class Recorder {
  readonly file: string;
  private buffer: RecordedRequest[] = [];
  private readonly salt = randomBytes(16);
  private readonly timer: NodeJS.Timeout;
  private writing: Promise<void> = Promise.resolve();
  private seq = 0;
  private wroteHeader = false;
  dropped = 0;
  written = 0;

  constructor(
    readonly spec: RecordSpec,
    /** Clock time the recording starts: at_ms counts from here. */
    private readonly startedAt: number,
    private readonly onError: (error: string) => void,
  ) {
    this.file = freshPath(spec.file);
    this.timer = setInterval(() => void this.flush(), spec.flush_ms);
    this.timer.unref();
  }

  /** Request path: O(1), no I/O. */
  add(r: RecordedRequest): void {
    if (this.buffer.length >= this.spec.max_buffer) {
      this.dropped++;
      return;
    }
    this.buffer.push(r);
  }

  /** Append what is buffered (serialized with earlier flushes). */
  flush(): Promise<void> {
    if (this.buffer.length === 0) return this.writing;
    const batch = this.buffer;
    this.buffer = [];
    const lines: string[] = [];
    if (!this.wroteHeader) {
      lines.push(formatTraceMeta(basename(this.file, extname(this.file)), `Recorded by warmroute from ${new Date().toISOString()}; session keys are salted hashes; service_ms is dispatch → end as the sidecar saw it.`));
      this.wroteHeader = true;
    }
    for (const r of batch) lines.push(formatTraceLine(this.toTrace(r)));
    this.writing = this.writing
      .then(async () => {
        await mkdir(dirname(this.file), { recursive: true });
        await appendFile(this.file, lines.join('\n') + '\n');
        this.written += batch.length;
      })
      .catch((e: unknown) => this.onError(`recording to ${this.file} failed: ${e instanceof Error ? e.message : String(e)}`));
    return this.writing;
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }

  private toTrace(r: RecordedRequest): TraceRequestInput {
    const round = (ms: number): number => Math.max(0, Math.round(ms));
    return {
      id: `r${++this.seq}`,
      model: r.model,
      ...(r.sessionKey !== undefined ? { session: createHash('sha256').update(this.salt).update(r.sessionKey).digest('hex').slice(0, 16) } : {}),
      at_ms: round(r.arrivedAt - this.startedAt),
      prompt_tokens: Math.round(r.promptBytes / BYTES_PER_TOKEN),
      service_ms: r.dispatchedAt !== undefined ? round(r.endedAt - r.dispatchedAt) : 0,
      stream: r.stream,
      recorded: {
        ...(r.dispatchedAt !== undefined ? { wait_ms: round(r.dispatchedAt - r.arrivedAt) } : {}),
        ...(r.backend !== undefined ? { backend: r.backend } : {}),
        outcome: r.outcome,
      },
    };
  }
}
