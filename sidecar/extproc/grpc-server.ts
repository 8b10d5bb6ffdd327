// The sidecar's gRPC server: the two methods it serves (ext_proc Process and
// grpc.health.v1 Check), straight on node:http2 with the gRPC wire protocol
// (length-prefixed messages, status in trailers). Why not grpc-js: Envoy opens
// one stream per request and sends three messages on it; grpc-js's per-call
// machinery (interceptors, object-mode streams, metadata objects, channelz) cost
// about as much CPU per request as everything warmroute decides (the sidecar's
// CPU per short request went from 0.21-0.24 ms to 0.15 ms, bench/results/load.md).
// grpc-js stays the reference client in the tests: they speak to this server with it.
import http2 from 'node:http2';
import { EventEmitter } from 'node:events';
import type { ProcessingRequest__Output } from './generated/envoy/service/ext_proc/v3/ProcessingRequest.ts';
import type { ProcessingResponse } from './generated/envoy/service/ext_proc/v3/ProcessingResponse.ts';
import { decodeProcessingRequest, encodeProcessingResponseFrame } from './codec.ts';
import { ProtoReader, ProtoWireError, WIRE_LEN } from './proto-reader.ts';

export const PROCESS_PATH = '/envoy.service.ext_proc.v3.ExternalProcessor/Process';
export const HEALTH_CHECK_PATH = '/grpc.health.v1.Health/Check';

/** gRPC status codes this server answers with. */
export const GRPC_STATUS = { OK: 0, INVALID_ARGUMENT: 3, NOT_FOUND: 5, RESOURCE_EXHAUSTED: 8, UNIMPLEMENTED: 12, INTERNAL: 13 } as const;

export type ServingStatus = 'SERVING' | 'NOT_SERVING' | 'SERVICE_UNKNOWN';
const SERVING_STATUS_NUMBER: Record<ServingStatus, number> = { SERVING: 1, NOT_SERVING: 2, SERVICE_UNKNOWN: 3 };

/** One ext_proc stream as the handlers see it (grpc-js's ServerDuplexStream has the same shape). */
export interface ExtProcStream {
  on(event: 'data', listener: (msg: ProcessingRequest__Output) => void): unknown;
  on(event: 'end' | 'close' | 'cancelled', listener: () => void): unknown;
  on(event: 'error', listener: (err: Error) => void): unknown;
  once(event: 'data', listener: (msg: ProcessingRequest__Output) => void): unknown;
  write(response: ProcessingResponse): unknown;
  /** Close our side: gRPC status OK in the trailers. */
  end(): unknown;
  readonly destroyed: boolean;
  readonly writable: boolean;
}

export interface GrpcServerOptions {
  host: string;
  port: number;
  /** Largest request message accepted (the whole buffered request body plus framing). */
  maxMessageBytes: number;
  /** HTTP/2 SETTINGS_MAX_CONCURRENT_STREAMS advertised to Envoy (sidecar/envoy/capacity.ts). */
  maxConcurrentStreams: number;
  process(call: ExtProcStream): void;
  health(service: string): ServingStatus;
}

export interface GrpcServer {
  port: number;
  /** Stop taking connections and let open streams finish (GOAWAY); streams still open after `graceMs` are reset. */
  close(graceMs?: number): Promise<void>;
}

const GRPC_HEADERS = { ':status': 200, 'content-type': 'application/grpc' } as const;

/** A gRPC message: compressed flag 0, big-endian length, the bytes. */
function frame(message: Buffer): Buffer {
  const out = Buffer.allocUnsafe(5 + message.length);
  out[0] = 0;
  out.writeUInt32BE(message.length, 1);
  message.copy(out, 5);
  return out;
}

/** A trailers-only answer: the call ends at once with this status. */
function refuse(stream: http2.ServerHttp2Stream, status: number, message: string): void {
  if (stream.destroyed || stream.headersSent) return;
  stream.respond({ ...GRPC_HEADERS, 'grpc-status': String(status), 'grpc-message': encodeURIComponent(message) }, { endStream: true });
  // The call is over: stop the client's side too (RST_STREAM NO_ERROR follows the status).
  stream.close(http2.constants.NGHTTP2_NO_ERROR);
}

/**
 * Splits the request side of a stream into messages. Chunks are kept as they
 * arrive and joined once per message, so a large buffered body costs one copy.
 */
class MessageReader {
  private chunks: Buffer[] = [];
  private size = 0;
  constructor(private readonly maxBytes: number) {}

  /** The complete messages in what has arrived so far; throws a GrpcError on a bad frame. */
  push(chunk: Buffer, out: (message: Buffer) => void): void {
    this.chunks.push(chunk);
    this.size += chunk.length;
    while (this.size >= 5) {
      const head = this.chunks[0]!.length >= 5 ? this.chunks[0]! : this.join();
      if (head[0] !== 0) throw new GrpcError(GRPC_STATUS.UNIMPLEMENTED, 'compressed messages are not accepted');
      const length = head.readUInt32BE(1);
      if (length > this.maxBytes) throw new GrpcError(GRPC_STATUS.RESOURCE_EXHAUSTED, `message of ${length} bytes exceeds ${this.maxBytes}`);
      if (this.size < 5 + length) return;
      const all = this.chunks.length === 1 ? this.chunks[0]! : this.join();
      out(all.subarray(5, 5 + length));
      const rest = all.subarray(5 + length);
      this.chunks = rest.length ? [rest] : [];
      this.size = rest.length;
    }
  }

  private join(): Buffer {
    const all = Buffer.concat(this.chunks, this.size);
    this.chunks = [all];
    return all;
  }
}

class GrpcError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** The Process call: decoded requests in, encoded responses out, status OK in the trailers when we end. */
class ProcessCall extends EventEmitter implements ExtProcStream {
  private responded = false;
  private finished = false;
  private statusSent = false;

  constructor(
    private readonly stream: http2.ServerHttp2Stream,
    maxBytes: number,
  ) {
    super();
    const reader = new MessageReader(maxBytes);
    stream.on('data', (chunk: Buffer) => {
      try {
        reader.push(chunk, (m) => this.emit('data', decodeProcessingRequest(m)));
      } catch (err) {
        const status = err instanceof GrpcError ? err.status : err instanceof ProtoWireError ? GRPC_STATUS.INVALID_ARGUMENT : GRPC_STATUS.INTERNAL;
        this.fail(status, err instanceof Error ? err.message : String(err));
      }
    });
    stream.on('wantTrailers', () => {
      this.statusSent = true;
      stream.sendTrailers({ 'grpc-status': String(GRPC_STATUS.OK) });
    });
    stream.on('end', () => this.emit('end'));
    // grpc-js's calls never throw on an unheard error either: the stream's close follows it.
    stream.on('error', (err: Error) => {
      if (this.listenerCount('error') > 0) this.emit('error', err);
    });
    stream.on('close', () => {
      // Reset, or closed before our status went out: the peer cancelled the call.
      if (!this.statusSent || this.stream.rstCode !== http2.constants.NGHTTP2_NO_ERROR) this.emit('cancelled');
      this.emit('close');
    });
  }

  get destroyed(): boolean {
    return this.stream.destroyed;
  }

  get writable(): boolean {
    return !this.finished && this.stream.writable;
  }

  write(response: ProcessingResponse): boolean {
    if (!this.writable) return false;
    this.respond();
    return this.stream.write(encodeProcessingResponseFrame(response));
  }

  end(): void {
    if (this.finished || this.stream.destroyed) return;
    this.respond();
    this.finished = true;
    this.stream.end();
  }

  private respond(): void {
    if (this.responded) return;
    this.responded = true;
    this.stream.respond(GRPC_HEADERS, { waitForTrailers: true });
  }

  private fail(status: number, message: string): void {
    if (this.finished) return;
    this.finished = true;
    if (!this.responded) refuse(this.stream, status, message);
    else this.stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR);
  }
}

function healthCheck(stream: http2.ServerHttp2Stream, health: (service: string) => ServingStatus): void {
  const reader = new MessageReader(64 * 1024);
  let answered = false;
  const answer = (request: Buffer): void => {
    if (answered) return;
    answered = true;
    let service = '';
    const r = new ProtoReader(request);
    while (r.pos < r.end) {
      const t = r.tag();
      if (t === ((1 << 3) | WIRE_LEN)) service = r.string();
      else r.skip(t & 7);
    }
    const status = health(service);
    if (status === 'SERVICE_UNKNOWN') return refuse(stream, GRPC_STATUS.NOT_FOUND, `unknown service ${service}`);
    stream.respond(GRPC_HEADERS, { waitForTrailers: true });
    stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': String(GRPC_STATUS.OK) }));
    stream.end(frame(Buffer.from([0x08, SERVING_STATUS_NUMBER[status]])));
  };
  stream.on('data', (chunk: Buffer) => {
    try {
      reader.push(chunk, answer);
    } catch (err) {
      answered = true;
      refuse(stream, err instanceof GrpcError ? err.status : GRPC_STATUS.INVALID_ARGUMENT, String(err));
    }
  });
  stream.on('end', () => {
    if (!answered) refuse(stream, GRPC_STATUS.INVALID_ARGUMENT, 'no request message');
  });
}

export async function startGrpcServer(opts: GrpcServerOptions): Promise<GrpcServer> {
  const server = http2.createServer({
    settings: { maxConcurrentStreams: opts.maxConcurrentStreams },
    // Node refuses streams once a session's buffered memory passes this (10 MB by
    // default); held streams and queued bodies are bounded by the policy instead.
    maxSessionMemory: Number.MAX_SAFE_INTEGER,
    maxSendHeaderBlockLength: Number.MAX_SAFE_INTEGER,
  });
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on('session', (session) => {
    sessions.add(session);
    session.on('close', () => sessions.delete(session));
    session.on('error', () => {});
  });
  server.on('stream', (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders) => {
    // A stream reset by the peer emits 'error'; unheard, it would throw and end the process.
    stream.on('error', () => {});
    const path = headers[':path'];
    if (headers['content-type']?.startsWith('application/grpc') !== true) return refuse(stream, GRPC_STATUS.INVALID_ARGUMENT, 'not a gRPC request');
    if (path === PROCESS_PATH) opts.process(new ProcessCall(stream, opts.maxMessageBytes));
    else if (path === HEALTH_CHECK_PATH) healthCheck(stream, opts.health);
    else refuse(stream, GRPC_STATUS.UNIMPLEMENTED, `unknown method ${String(path)}`);
  });
  server.on('sessionError', () => {});
  const port = await new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolve((server.address() as { port: number }).port);
    });
  });
  return {
    port,
    close: (graceMs = 10_000) =>
      new Promise<void>((resolve) => {
        server.close(() => {
          clearTimeout(force);
          resolve();
        });
        for (const s of sessions) s.close();
        const force = setTimeout(() => {
          for (const s of sessions) s.destroy();
        }, graceMs);
        force.unref();
      }),
  };
}
