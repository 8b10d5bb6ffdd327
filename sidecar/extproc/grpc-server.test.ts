// The sidecar's gRPC server speaks standard gRPC: grpc-js, as a client, opens
// Process streams on it, exchanges messages both ways, sees status OK when the
// sidecar ends its side, and gets the right status codes for what it refuses.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import http2 from 'node:http2';
import { credentials, Metadata, status, type ClientDuplexStream, type ServiceError } from '@grpc/grpc-js';
import { loadExtProc } from './proto.ts';
import { startGrpcServer, type ExtProcStream, type GrpcServer } from './grpc-server.ts';
import type { ProcessingRequest } from './generated/envoy/service/ext_proc/v3/ProcessingRequest.ts';
import type { ProcessingResponse__Output } from './generated/envoy/service/ext_proc/v3/ProcessingResponse.ts';
import type { ExternalProcessorClient } from './generated/envoy/service/ext_proc/v3/ExternalProcessor.ts';

const MAX = 256 * 1024;
let server: GrpcServer;
let client: ExternalProcessorClient;
const calls: Array<{ events: string[]; call: ExtProcStream }> = [];

beforeAll(async () => {
  server = await startGrpcServer({
    host: '127.0.0.1',
    port: 0,
    maxMessageBytes: MAX,
    maxConcurrentStreams: 1000,
    health: () => 'SERVING',
    process: (call) => {
      const seen = { events: [] as string[], call };
      calls.push(seen);
      // An echo processor: answers each message with its body length in a header; ends when told.
      call.on('data', (msg) => {
        seen.events.push(`data:${msg.request}`);
        const body = msg.request_body?.body;
        call.write({ request_body: { response: { header_mutation: { set_headers: [{ header: { key: 'x-len', raw_value: Buffer.from(String(body?.length ?? 0)) } }] } } } });
        if (body?.toString() === 'end') call.end();
      });
      for (const e of ['end', 'cancelled', 'close'] as const) call.on(e, () => seen.events.push(e));
      call.on('end', () => call.end());
      call.on('error', () => seen.events.push('error'));
    },
  });
  const proto = loadExtProc();
  client = new proto.envoy.service.ext_proc.v3.ExternalProcessor(`127.0.0.1:${server.port}`, credentials.createInsecure());
});

afterAll(async () => {
  client.close();
  await server.close();
});

function open(): { call: ClientDuplexStream<ProcessingRequest, ProcessingResponse__Output>; replies: ProcessingResponse__Output[]; done: Promise<ServiceError | null> } {
  const call = client.Process(new Metadata());
  const replies: ProcessingResponse__Output[] = [];
  call.on('data', (r: ProcessingResponse__Output) => replies.push(r));
  const done = new Promise<ServiceError | null>((resolve) => {
    call.on('error', (e: ServiceError) => resolve(e));
    call.on('status', (s: { code: number }) => {
      if (s.code === status.OK) resolve(null);
    });
  });
  return { call, replies, done };
}

const lenOf = (r: ProcessingResponse__Output) => r.request_body?.response?.header_mutation?.set_headers[0]?.header?.raw_value.toString();

describe('the sidecar gRPC server, with grpc-js as the client', () => {
  it('carries messages both ways in order and ends with status OK when the processor ends', async () => {
    const { call, replies, done } = open();
    const big = Buffer.alloc(200_000, 0x61); // spans many HTTP/2 DATA frames
    call.write({ request_headers: { headers: { headers: [{ key: ':path', raw_value: Buffer.from('/v1/chat/completions') }] } } });
    call.write({ request_body: { body: big, end_of_stream: true } });
    call.write({ request_body: { body: Buffer.from('end') } });
    expect(await done).toBeNull();
    expect(replies.map(lenOf)).toEqual(['0', '200000', '3']);
    const seen = calls.at(-1)!;
    expect(seen.events.slice(0, 3)).toEqual(['data:request_headers', 'data:request_body', 'data:request_body']);
    call.end();
  });

  it('tells the processor when the client half-closes, and when it cancels', async () => {
    const a = open();
    a.call.write({ request_body: { body: Buffer.from('x') } });
    await until(() => a.replies.length === 1);
    a.call.end();
    const first = calls.at(-1)!;
    await until(() => first.events.includes('end'));

    const b = open();
    b.call.write({ request_body: { body: Buffer.from('y') } });
    await until(() => b.replies.length === 1);
    const second = calls.at(-1)!;
    b.call.cancel();
    await until(() => second.events.includes('close'));
    expect(second.events).toContain('cancelled');
    expect(second.call.writable).toBe(false);
  });

  it('survives streams reset the way Envoy resets them (RST_STREAM INTERNAL_ERROR), gRPC or not', async () => {
    const session = http2.connect(`http://127.0.0.1:${server.port}`);
    session.on('error', () => {});
    const before = calls.length;
    const grpc = session.request({ ':method': 'POST', ':path': '/envoy.service.ext_proc.v3.ExternalProcessor/Process', 'content-type': 'application/grpc' });
    grpc.on('error', () => {});
    grpc.write(Buffer.from([0, 0, 0, 0, 0])); // one empty ProcessingRequest
    await until(() => calls.length === before + 1 && calls.at(-1)!.events.includes('data:undefined'));
    grpc.close(http2.constants.NGHTTP2_INTERNAL_ERROR);
    const plain = session.request({ ':method': 'GET', ':path': '/' });
    plain.on('error', () => {});
    plain.close(http2.constants.NGHTTP2_INTERNAL_ERROR);
    await until(() => calls.at(-1)!.events.includes('close'));
    expect(calls.at(-1)!.events).toContain('cancelled');
    session.close();
    // Still serving.
    const { call, replies, done } = open();
    call.write({ request_body: { body: Buffer.from('end') } });
    expect(await done).toBeNull();
    expect(replies.map(lenOf)).toEqual(['3']);
  });

  it('refuses a message over the size limit with RESOURCE_EXHAUSTED', async () => {
    const { call, done } = open();
    call.write({ request_body: { body: Buffer.alloc(MAX + 10) } });
    const err = await done;
    expect(err?.code).toBe(status.RESOURCE_EXHAUSTED);
  });

  it('answers an unknown method with UNIMPLEMENTED', async () => {
    const err = await new Promise<ServiceError>((resolve) =>
      client.makeUnaryRequest('/envoy.service.ext_proc.v3.ExternalProcessor/Nope', (x: Buffer) => x, (b: Buffer) => b, Buffer.alloc(0), (e) => resolve(e!)),
    );
    expect(err.code).toBe(status.UNIMPLEMENTED);
  });
});

async function until(cond: () => boolean, timeoutMs = 10_000): Promise<void> {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > timeoutMs) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}
