// A benchmark helper process: one simulated backend, the no-op ext_proc
// server, or the warmroute sidecar, each in its own Node process (as in a
// deployment), so the load generator's event loop and heap stay out of them.
// Started by children.ts; prints `READY <json>` once listening; exits when
// its stdin closes (the parent went away) or on SIGTERM.
import { Server, ServerCredentials, type ServerDuplexStream } from '@grpc/grpc-js';
import { loadExtProc } from '../../sidecar/extproc/proto.ts';
import { ENDPOINT_HEADER } from '../../sidecar/envoy/config.ts';
import { startSidecar } from '../../sidecar/app.ts';
import { DEFAULT_SESSION_HEADERS, Policy } from '../../sidecar/policy/schema.ts';
import { parseRequest } from '../../sidecar/request/parse.ts';
import { routeBody } from '../../sidecar/extproc/responses.ts';
import { randomUUID } from 'node:crypto';
import { startSim, type SimSpec } from '../../sim/index.ts';
import type { ProcessingRequest__Output } from '../../sidecar/extproc/generated/envoy/service/ext_proc/v3/ProcessingRequest.ts';
import type { ProcessingResponse } from '../../sidecar/extproc/generated/envoy/service/ext_proc/v3/ProcessingResponse.ts';

export type WorkerRequest =
  | { mode: 'sim'; spec: SimSpec }
  | { mode: 'noop'; backend: string; maxReceiveBytes: number; parse?: boolean; fullResponse?: boolean }
  | { mode: 'sidecar'; policy: unknown }
  /** The sidecar and both no-op servers in one process: every processor sees the same process conditions. */
  | { mode: 'processors'; policy: unknown; backend: string; maxReceiveBytes: number; noopParseFullResponse?: boolean };

/**
 * The floor of the BUFFERED design: continue the headers, and answer the body
 * with only the routing header (no parse, no metadata, no request id).
 * With `parse`, it first runs warmroute's parseRequest on the body (default
 * session options) and nothing else: the least a body-routing processor does.
 * With `fullResponse` (a diagnostic), it answers the body with a response of
 * warmroute's exact shape (routeBody: request id header, dynamic metadata).
 */
async function startNoop(backend: string, maxReceiveBytes: number, parse: boolean, fullResponse = false): Promise<{ port: number; close(): Promise<void> }> {
  const noHeaders = new Map<string, string>();
  const session = { headers: [...DEFAULT_SESSION_HEADERS], prefixHash: true };
  const proto = loadExtProc();
  const server = new Server({ 'grpc.max_receive_message_length': maxReceiveBytes });
  const route: ProcessingResponse = {
    request_body: { response: { header_mutation: { set_headers: [{ header: { key: ENDPOINT_HEADER, raw_value: Buffer.from(backend) } }] }, clear_route_cache: true } },
  };
  server.addService(proto.envoy.service.ext_proc.v3.ExternalProcessor.service, {
    Process: (call: ServerDuplexStream<ProcessingRequest__Output, ProcessingResponse>) => {
      call.on('data', (msg: ProcessingRequest__Output) => {
        // The observability filter's stream (noop_observe): Envoy expects no answers.
        if (msg.observability_mode) return;
        if (msg.request === 'request_headers') call.write({ request_headers: { response: {} } });
        // The routing filter also sends response headers (it reads the status); let them go on.
        else if (msg.request === 'response_headers') call.write({ response_headers: { response: {} } });
        else if (msg.request === 'request_body' && msg.request_body?.end_of_stream) {
          const parsed = parse ? parseRequest('openai-chat', msg.request_body.body, noHeaders, session) : undefined;
          if (!fullResponse) call.write(route);
          else
            call.write(
              routeBody({
                mode: 'original_dst',
                value: backend,
                requestId: randomUUID(),
                metadata: { backend: 'sim', model: parsed?.model ?? '', reason: 'warm', queued_ms: '0', session: parsed?.sessionKey ?? '' },
              }),
            );
        }
      });
      call.on('error', () => {});
      call.on('end', () => call.end());
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  return {
    port,
    close: () =>
      new Promise<void>((r) => {
        server.tryShutdown(() => r());
        setTimeout(() => {
          server.forceShutdown();
          r();
        }, 500).unref();
      }),
  };
}

async function main(): Promise<void> {
  const req = JSON.parse(process.env.WARMROUTE_BENCH_WORKER ?? '{}') as WorkerRequest;
  let close: () => Promise<void>;
  let info: Record<string, unknown>;
  if (req.mode === 'sim') {
    const sim = await startSim(req.spec);
    info = { url: sim.url, port: sim.port };
    close = () => sim.close();
  } else if (req.mode === 'noop') {
    const s = await startNoop(req.backend, req.maxReceiveBytes, req.parse === true);
    info = { port: s.port };
    close = () => s.close();
  } else if (req.mode === 'processors') {
    const sidecar = await startSidecar({ policy: Policy.parse(req.policy), probe: true, log: () => {} });
    const noop = await startNoop(req.backend, req.maxReceiveBytes, false);
    const noopParse = await startNoop(req.backend, req.maxReceiveBytes, true, req.noopParseFullResponse === true);
    info = { port: sidecar.grpcPort, noopPort: noop.port, noopParsePort: noopParse.port };
    close = async () => {
      await Promise.all([noop.close(), noopParse.close()]);
      await sidecar.close();
    };
  } else if (req.mode === 'sidecar') {
    const sidecar = await startSidecar({ policy: Policy.parse(req.policy), probe: true, log: () => {} });
    info = { port: sidecar.grpcPort, adminPort: sidecar.adminPort };
    close = () => sidecar.close();
  } else {
    throw new Error(`unknown worker mode ${(req as { mode: string }).mode}`);
  }
  let closing = false;
  const stop = (): void => {
    if (closing) return;
    closing = true;
    void close().finally(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.stdin.on('end', stop);
  process.stdin.on('close', stop);
  process.stdin.resume();
  process.stdout.write(`READY ${JSON.stringify(info)}\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`bench worker failed: ${e instanceof Error ? e.stack : String(e)}\n`);
  process.exit(1);
});
