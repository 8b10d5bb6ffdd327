// The sidecar's own codec must be indistinguishable from proto-loader's on the
// wire and in the objects the handlers see: every response encodes to the same
// bytes, every request decodes to the same object (generated messages, the
// responses the sidecar really builds, and Envoy-shaped requests).
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { decodeProcessingRequest, encodeProcessingResponseFrame } from './codec.ts';
import { loadExtProc } from './proto.ts';
import { continueHeaders, errorResponse, extendTimeout, immediate, RESPONSE_HEADERS_CONTINUE, routeBody } from './responses.ts';
import { errorReply } from '../control/errors.ts';
import { ProtoWireError } from './proto-reader.ts';
import type { ProcessingResponse } from './generated/envoy/service/ext_proc/v3/ProcessingResponse.ts';

const reference = loadExtProc().envoy.service.ext_proc.v3.ExternalProcessor.service.Process;
const refEncode = (r: ProcessingResponse): Buffer => reference.responseSerialize(r);
const refDecode = (b: Buffer): unknown => reference.requestDeserialize(b);
const encodeRequest = (r: object): Buffer => reference.requestSerialize(r as never);

/** The message inside the frame. */
const encodeProcessingResponse = (r: ProcessingResponse): Buffer => encodeProcessingResponseFrame(r).subarray(5);

// ---- arbitraries ----
const text = fc.oneof(fc.string({ maxLength: 12 }), fc.string({ unit: 'grapheme', maxLength: 60 }), fc.string({ minLength: 100, maxLength: 300 }));
const bytes = fc.uint8Array({ maxLength: 200 }).map((a) => Buffer.from(a));
const opt = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined });

const value: fc.Arbitrary<object> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.record({ stringValue: text }),
    fc.record({ numberValue: fc.double({ noNaN: true }) }),
    fc.record({ boolValue: fc.boolean() }),
    fc.record({ nullValue: fc.constant('NULL_VALUE') }),
    fc.record({ structValue: tie('struct') }),
    fc.record({ listValue: fc.record({ values: fc.array(tie('value'), { maxLength: 3 }) }) }),
  ),
  struct: fc.record({ fields: fc.dictionary(fc.string({ maxLength: 10 }), tie('value'), { maxKeys: 4 }) }),
})).value;
const struct = fc.record({ fields: fc.dictionary(fc.string({ maxLength: 10 }), value, { maxKeys: 4 }) });

const headerValue = fc.record({ key: text, value: opt(text), raw_value: opt(bytes) }, { requiredKeys: ['key'] });
const headerMap = fc.record({ headers: fc.array(headerValue, { maxLength: 12 }) });
const httpHeaders = fc.record({ headers: opt(headerMap), end_of_stream: opt(fc.boolean()) });
const httpBody = fc.record({ body: opt(bytes), end_of_stream: opt(fc.boolean()) });
const bodyMode = fc.constantFrom('NONE', 'STREAMED', 'BUFFERED', 'BUFFERED_PARTIAL', 'FULL_DUPLEX_STREAMED');

const processingRequest = fc.record(
  {
    member: fc.oneof(
      fc.record({ request_headers: httpHeaders }),
      fc.record({ response_headers: httpHeaders }),
      fc.record({ request_body: httpBody }),
      fc.record({ response_body: httpBody }),
      fc.record({ request_trailers: fc.record({ trailers: opt(headerMap) }) }),
      fc.record({ response_trailers: fc.record({ trailers: opt(headerMap) }) }),
      fc.constant({}),
    ),
    metadata_context: opt(
      fc.record({
        filter_metadata: fc.dictionary(fc.string({ maxLength: 20 }), struct, { maxKeys: 3 }),
        typed_filter_metadata: fc.dictionary(fc.string({ maxLength: 8 }), fc.record({ type_url: text, value: bytes }), { maxKeys: 2 }),
      }),
    ),
    attributes: opt(fc.dictionary(fc.string({ maxLength: 30 }), struct, { maxKeys: 3 })),
    observability_mode: opt(fc.boolean()),
    protocol_config: opt(fc.record({ request_body_mode: opt(bodyMode), response_body_mode: opt(bodyMode), send_body_without_waiting_for_header_response: opt(fc.boolean()) })),
  },
  { requiredKeys: ['member'] },
).map(({ member, ...rest }) => ({ ...member, ...rest }));

const mutation = fc.record({
  set_headers: opt(
    fc.array(
      fc.record({
        header: opt(headerValue),
        append: opt(fc.record({ value: opt(fc.boolean()) })),
        append_action: opt(fc.constantFrom('APPEND_IF_EXISTS_OR_ADD', 'ADD_IF_ABSENT', 'OVERWRITE_IF_EXISTS_OR_ADD', 'OVERWRITE_IF_EXISTS', 2)),
        keep_empty_value: opt(fc.boolean()),
      }),
      { maxLength: 4 },
    ),
  ),
  remove_headers: opt(fc.array(text, { maxLength: 3 })),
});
const common = fc.record({
  status: opt(fc.constantFrom('CONTINUE', 'CONTINUE_AND_REPLACE', 0, 1)),
  header_mutation: opt(mutation),
  body_mutation: opt(fc.oneof(fc.record({ body: bytes }), fc.record({ clear_body: fc.boolean() }), fc.record({ streamed_response: fc.record({ body: opt(bytes), end_of_stream: opt(fc.boolean()) }) }))),
  trailers: opt(headerMap),
  clear_route_cache: opt(fc.boolean()),
});
const processingResponse = fc.record(
  {
    member: fc.oneof(
      fc.record({ request_headers: fc.record({ response: opt(common) }) }),
      fc.record({ response_headers: fc.record({ response: opt(common) }) }),
      fc.record({ request_body: fc.record({ response: opt(common) }) }),
      fc.record({ response_body: fc.record({ response: opt(common) }) }),
      fc.record({ request_trailers: fc.record({ header_mutation: opt(mutation) }) }),
      fc.record({ response_trailers: fc.record({ header_mutation: opt(mutation) }) }),
      fc.record({
        immediate_response: fc.record({
          status: opt(fc.record({ code: fc.constantFrom(200, 400, 404, 429, 503) })),
          headers: opt(mutation),
          body: opt(bytes),
          grpc_status: opt(fc.record({ status: fc.integer({ min: 0, max: 16 }) })),
          details: opt(text),
        }),
      }),
      fc.constant({}),
    ),
    dynamic_metadata: opt(struct),
    override_message_timeout: opt(fc.record({ seconds: fc.integer({ min: 0, max: 10_000_000 }).map(String), nanos: fc.integer({ min: 0, max: 999_999_999 }) })),
  },
  { requiredKeys: ['member'] },
).map(({ member, ...rest }) => ({ ...member, ...rest }) as ProcessingResponse);

// ---- properties ----
describe('the sidecar’s ext_proc codec matches proto-loader’s', () => {
  it('encodes every generated ProcessingResponse to the same bytes', () => {
    fc.assert(
      fc.property(processingResponse, (r) => {
        expect(encodeProcessingResponse(r).equals(refEncode(r))).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it('encodes the responses the sidecar builds to the same bytes', () => {
    const big = Buffer.alloc(300_000, 0x61); // longer than the scratch buffer: it grows
    const built: ProcessingResponse[] = [
      continueHeaders(),
      RESPONSE_HEADERS_CONTINUE,
      routeBody({ mode: 'original_dst', value: '10.0.0.5:8080', requestId: 'r-1', metadata: { backend: 'a', model: 'm1', reason: 'warm', queued_ms: '0', session: 'é' } }),
      routeBody({ mode: 'cluster_header', value: 'gpu-box', metadata: { backend: 'gpu-box' }, body: big, addJsonContentType: true }),
      errorResponse(errorReply(429, 'queue_full', 'full', { retryAfterS: 3 })),
      immediate(200, '{"object":"list","data":[]}', 'warmroute_models'),
      extendTimeout(125_500),
    ];
    for (const r of built) {
      const ref = refEncode(r);
      expect(encodeProcessingResponse(r).equals(ref)).toBe(true);
      const framed = encodeProcessingResponseFrame(r);
      expect([framed[0], framed.readUInt32BE(1)]).toEqual([0, ref.length]);
      expect(framed.subarray(5).equals(ref)).toBe(true);
    }
  });

  it('decodes every generated ProcessingRequest to the same object', () => {
    fc.assert(
      fc.property(processingRequest, (r) => {
        const wire = encodeRequest(r);
        expect(decodeProcessingRequest(wire)).toEqual(refDecode(wire));
      }),
      { numRuns: 2000 },
    );
  });

  it('decodes an Envoy-shaped request (headers, body, response headers with attributes)', () => {
    const msgs = [
      { request_headers: { headers: { headers: [{ key: ':path', raw_value: Buffer.from('/v1/chat/completions') }, { key: ':method', raw_value: Buffer.from('POST') }] } }, protocol_config: { request_body_mode: 'BUFFERED' } },
      { request_body: { body: Buffer.from('{"model":"m1","messages":[]}'), end_of_stream: true } },
      { response_headers: { headers: { headers: [{ key: ':status', raw_value: Buffer.from('200') }] } }, attributes: { 'envoy.filters.http.ext_proc': { fields: { 'response.code_details': { stringValue: 'via_upstream' } } } } },
      { observability_mode: true, response_headers: { headers: { headers: [] }, end_of_stream: true }, metadata_context: { filter_metadata: { warmroute: { fields: { backend: { stringValue: 'a' } } } } } },
    ];
    for (const m of msgs) {
      const wire = encodeRequest(m);
      expect(decodeProcessingRequest(wire)).toEqual(refDecode(wire));
    }
    const body = decodeProcessingRequest(encodeRequest(msgs[1]!));
    expect(body.request).toBe('request_body');
    expect(body.request_body?.body.toString()).toBe('{"model":"m1","messages":[]}');
  });

  it('refuses a truncated message instead of reading past its end', () => {
    const wire = encodeRequest({ request_body: { body: Buffer.from('{"model":"m1"}'), end_of_stream: true } });
    for (let cut = 1; cut < wire.length; cut++) {
      let threw = false;
      try {
        decodeProcessingRequest(wire.subarray(0, cut));
      } catch (e) {
        threw = e instanceof ProtoWireError;
      }
      expect(threw).toBe(true);
    }
  });
});
