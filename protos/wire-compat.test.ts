// Proves that warmroute's minimal ext_proc protos encode and decode exactly
// like Envoy's official external_processor.proto (shipped with
// @grpc/grpc-js-xds, a devDependency used only here) for every message the
// sidecar sends or receives.
import { describe, expect, it } from 'vitest';
import protobuf from 'protobufjs';
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { EXT_PROC_PROTO, PROTO_DIR } from '../sidecar/extproc/proto.ts';
import { continueHeaders, errorResponse, extendTimeout, immediate, routeBody } from '../sidecar/extproc/responses.ts';
import { errorReply } from '../sidecar/control/errors.ts';

const xdsDeps = join(dirname(createRequire(import.meta.url).resolve('@grpc/grpc-js-xds/package.json')), 'deps');
const OFFICIAL_DIRS = ['envoy-api', 'xds', 'googleapis', 'protoc-gen-validate'].map((d) => join(xdsDeps, d));

function loadRoot(dirs: string[]): protobuf.Root {
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) => {
    for (const d of dirs) if (existsSync(join(d, target))) return join(d, target);
    return target; // google/protobuf/* are protobufjs built-ins
  };
  root.loadSync(EXT_PROC_PROTO, { keepCase: true });
  root.resolveAll();
  return root;
}

const ours = loadRoot([PROTO_DIR]);
const official = loadRoot(OFFICIAL_DIRS);
const T = (root: protobuf.Root, name: string) => root.lookupType(`envoy.service.ext_proc.v3.${name}`);

function encode(root: protobuf.Root, name: string, obj: object): Buffer {
  const type = T(root, name);
  return Buffer.from(type.encode(type.fromObject(obj)).finish());
}

const responses: Array<[string, object]> = [
  ['continue headers', continueHeaders()],
  ['route original_dst', routeBody({ mode: 'original_dst', value: '10.0.0.5:8080', metadata: { backend: 'a', model: 'm1', reason: 'warm' } })],
  ['route cluster_header + body', routeBody({ mode: 'cluster_header', value: 'gpu-box', metadata: { backend: 'gpu-box' }, body: Buffer.from('{"model":"x"}') })],
  ['error 429', errorResponse(errorReply(429, 'queue_full', 'full', { retryAfterS: 3 }))],
  ['models 200', immediate(200, '{"object":"list","data":[]}', 'warmroute_models')],
  ['extend timeout', extendTimeout(125_500)],
];

describe('ext_proc protos are wire-compatible with Envoy’s external_processor.proto', () => {
  it.each(responses)('ProcessingResponse (%s) encodes byte-for-byte the same', (_name, msg) => {
    const a = encode(ours, 'ProcessingResponse', msg);
    const b = encode(official, 'ProcessingResponse', msg);
    expect(a.length).toBeGreaterThan(0);
    expect(a.equals(b)).toBe(true);
  });

  it('a ProcessingRequest encoded with the official proto decodes to the same fields with ours', () => {
    const req = {
      request_headers: {
        headers: { headers: [{ key: ':path', raw_value: Buffer.from('/v1/chat/completions') }, { key: 'x-session-id', raw_value: Buffer.from('s1') }] },
        end_of_stream: false,
      },
      metadata_context: { filter_metadata: { ns: { fields: { k: { stringValue: 'v' } } } } },
      attributes: { 'envoy.filters.http.ext_proc': { fields: { 'request.id': { stringValue: 'r1' } } } },
    };
    const wire = encode(official, 'ProcessingRequest', req);
    const back = T(ours, 'ProcessingRequest').toObject(T(ours, 'ProcessingRequest').decode(wire), { oneofs: true, bytes: String });
    expect(back.request).toBe('request_headers');
    expect(back.request_headers.headers.headers[1].key).toBe('x-session-id');
    expect(Buffer.from(back.request_headers.headers.headers[1].raw_value, 'base64').toString()).toBe('s1');
    expect(encode(ours, 'ProcessingRequest', req).equals(wire)).toBe(true);
    const body = encode(official, 'ProcessingRequest', { request_body: { body: Buffer.from('{"model":"m"}'), end_of_stream: true } });
    const b2 = T(ours, 'ProcessingRequest').decode(body) as unknown as { request_body: { body: Uint8Array; end_of_stream: boolean } };
    expect(Buffer.from(b2.request_body.body).toString()).toBe('{"model":"m"}');
    expect(b2.request_body.end_of_stream).toBe(true);
  });

  it('detects a mismatch (the comparison is not vacuous)', () => {
    const a = encode(ours, 'ProcessingResponse', routeBody({ mode: 'original_dst', value: '1.2.3.4:1', metadata: {} }));
    const b = encode(official, 'ProcessingResponse', routeBody({ mode: 'original_dst', value: '1.2.3.4:2', metadata: {} }));
    expect(a.equals(b)).toBe(false);
  });
});
