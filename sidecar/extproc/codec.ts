// warmroute's own wire codec for the ext_proc messages, used by the sidecar's
// gRPC service instead of proto-loader's generic one. Why: every request costs
// three decodes and three encodes, and the generic path (fromObject + encode,
// decode + toObject with defaults) was a quarter of the sidecar's CPU per
// request in bench:load, most of it garbage. This codec reads and writes the
// proto3 wire format of protos/envoy/service/ext_proc/v3/external_processor.proto
// directly, producing and accepting exactly the objects proto-loader does with
// PROTO_LOADER_OPTIONS (codec.test.ts checks both directions against it, byte
// for byte and field for field, on generated messages).
import type { ProcessingRequest__Output } from './generated/envoy/service/ext_proc/v3/ProcessingRequest.ts';
import type { ProcessingResponse } from './generated/envoy/service/ext_proc/v3/ProcessingResponse.ts';
import type { HttpHeaders__Output } from './generated/envoy/service/ext_proc/v3/HttpHeaders.ts';
import type { HttpBody__Output } from './generated/envoy/service/ext_proc/v3/HttpBody.ts';
import type { HeaderMap__Output } from './generated/envoy/config/core/v3/HeaderMap.ts';
import type { HeaderValue__Output } from './generated/envoy/config/core/v3/HeaderValue.ts';
import type { Metadata__Output } from './generated/envoy/config/core/v3/Metadata.ts';
import type { ProtocolConfiguration__Output } from './generated/envoy/service/ext_proc/v3/ProtocolConfiguration.ts';
import type { Struct, Struct__Output } from './generated/google/protobuf/Struct.ts';
import type { Value, Value__Output } from './generated/google/protobuf/Value.ts';
import type { ListValue, ListValue__Output } from './generated/google/protobuf/ListValue.ts';
import type { Any__Output } from './generated/google/protobuf/Any.ts';
import type { HeaderMutation } from './generated/envoy/service/ext_proc/v3/HeaderMutation.ts';
import type { CommonResponse } from './generated/envoy/service/ext_proc/v3/CommonResponse.ts';
import type { HeaderValueOption } from './generated/envoy/config/core/v3/HeaderValueOption.ts';
import type { HeaderMap } from './generated/envoy/config/core/v3/HeaderMap.ts';
import type { HeaderValue } from './generated/envoy/config/core/v3/HeaderValue.ts';
import type { ImmediateResponse } from './generated/envoy/service/ext_proc/v3/ImmediateResponse.ts';
import type { BodyMutation } from './generated/envoy/service/ext_proc/v3/BodyMutation.ts';
import { ProtoWriter } from './proto-writer.ts';
import { ProtoReader, WIRE_FIXED64, WIRE_LEN, WIRE_VARINT } from './proto-reader.ts';

// ---- encoding (ProcessingResponse: what the sidecar sends) ----

const STATUS = { CONTINUE: 0, CONTINUE_AND_REPLACE: 1 } as const;
const APPEND_ACTION = { APPEND_IF_EXISTS_OR_ADD: 0, ADD_IF_ABSENT: 1, OVERWRITE_IF_EXISTS_OR_ADD: 2, OVERWRITE_IF_EXISTS: 3 } as const;
const NULL_VALUE = { NULL_VALUE: 0 } as const;

const enumNumber = (v: number | string, names: Record<string, number>): number => (typeof v === 'number' ? v : names[v] ?? 0);
const present = <T>(v: T | null | undefined): v is T => v !== null && v !== undefined;

const writer = new ProtoWriter();

/** gRPC's message prefix: compressed flag, then the big-endian length. */
const FRAME_PREFIX_BYTES = 5;

/** The message as it goes on the wire in a gRPC stream: compressed flag 0, big-endian length, then the message. */
export function encodeProcessingResponseFrame(r: ProcessingResponse): Buffer {
  const w = writer.reset(FRAME_PREFIX_BYTES);
  const common = (field: number, c: { response?: CommonResponse | null } | null | undefined): void => {
    if (!present(c)) return;
    const at = w.open(field);
    if (present(c.response)) {
      const inner = w.open(1);
      writeCommon(w, c.response);
      w.close(inner);
    }
    w.close(at);
  };
  common(1, r.request_headers);
  common(2, r.response_headers);
  common(3, r.request_body);
  common(4, r.response_body);
  for (const [field, t] of [[5, r.request_trailers], [6, r.response_trailers]] as const) {
    if (!present(t)) continue;
    const at = w.open(field);
    if (present(t.header_mutation)) writeMutation(w, 1, t.header_mutation);
    w.close(at);
  }
  if (present(r.immediate_response)) writeImmediate(w, r.immediate_response);
  if (present(r.dynamic_metadata)) writeStruct(w, 8, r.dynamic_metadata);
  if (present(r.override_message_timeout)) {
    const d = r.override_message_timeout;
    const at = w.open(10);
    if (present(d.seconds)) w.varintField(1, Number(d.seconds));
    if (present(d.nanos)) w.varintField(2, d.nanos);
    w.close(at);
  }
  const out = w.finish();
  out[0] = 0;
  out.writeUInt32BE(out.length - FRAME_PREFIX_BYTES, 1);
  return out;
}

function writeCommon(w: ProtoWriter, c: CommonResponse): void {
  if (present(c.status)) w.varintField(1, enumNumber(c.status, STATUS));
  if (present(c.header_mutation)) writeMutation(w, 2, c.header_mutation);
  if (present(c.body_mutation)) writeBodyMutation(w, c.body_mutation);
  if (present(c.trailers)) writeHeaderMap(w, 4, c.trailers);
  if (present(c.clear_route_cache)) w.boolField(5, c.clear_route_cache);
}

function writeMutation(w: ProtoWriter, field: number, m: HeaderMutation): void {
  const at = w.open(field);
  for (const o of m.set_headers ?? []) writeHeaderOption(w, o);
  for (const name of m.remove_headers ?? []) w.stringField(2, name);
  w.close(at);
}

function writeHeaderOption(w: ProtoWriter, o: HeaderValueOption): void {
  const at = w.open(1);
  if (present(o.header)) writeHeaderValue(w, 1, o.header);
  if (present(o.append)) {
    const a = w.open(2);
    if (present(o.append.value)) w.boolField(1, o.append.value);
    w.close(a);
  }
  if (present(o.append_action)) w.varintField(3, enumNumber(o.append_action, APPEND_ACTION));
  if (present(o.keep_empty_value)) w.boolField(4, o.keep_empty_value);
  w.close(at);
}

function writeHeaderValue(w: ProtoWriter, field: number, h: HeaderValue): void {
  const at = w.open(field);
  if (present(h.key)) w.stringField(1, h.key);
  if (present(h.value)) w.stringField(2, h.value);
  if (present(h.raw_value)) w.bytesField(3, h.raw_value);
  w.close(at);
}

function writeHeaderMap(w: ProtoWriter, field: number, m: HeaderMap): void {
  const at = w.open(field);
  for (const h of m.headers ?? []) writeHeaderValue(w, 1, h);
  w.close(at);
}

function writeBodyMutation(w: ProtoWriter, b: BodyMutation): void {
  const at = w.open(3);
  if (present(b.body)) w.bytesField(1, b.body);
  if (present(b.clear_body)) w.boolField(2, b.clear_body);
  if (present(b.streamed_response)) {
    const s = w.open(3);
    if (present(b.streamed_response.body)) w.bytesField(1, b.streamed_response.body);
    if (present(b.streamed_response.end_of_stream)) w.boolField(2, b.streamed_response.end_of_stream);
    w.close(s);
  }
  w.close(at);
}

function writeImmediate(w: ProtoWriter, i: ImmediateResponse): void {
  const at = w.open(7);
  if (present(i.status)) {
    const s = w.open(1);
    if (present(i.status.code)) w.varintField(1, Number(i.status.code));
    w.close(s);
  }
  if (present(i.headers)) writeMutation(w, 2, i.headers);
  if (present(i.body)) w.bytesField(3, i.body);
  if (present(i.grpc_status)) {
    const g = w.open(4);
    if (present(i.grpc_status.status)) w.varintField(1, i.grpc_status.status);
    w.close(g);
  }
  if (present(i.details)) w.stringField(5, i.details);
  w.close(at);
}

function writeStruct(w: ProtoWriter, field: number, s: Struct): void {
  const at = w.open(field);
  const fields = s.fields;
  if (fields) {
    for (const key in fields) {
      const entry = w.open(1);
      w.stringField(1, key);
      writeValue(w, 2, fields[key]!);
      w.close(entry);
    }
  }
  w.close(at);
}

function writeValue(w: ProtoWriter, field: number, v: Value): void {
  const at = w.open(field);
  if (present(v.nullValue)) w.varintField(1, enumNumber(v.nullValue, NULL_VALUE));
  if (present(v.numberValue)) w.doubleField(2, Number(v.numberValue));
  if (present(v.stringValue)) w.stringField(3, v.stringValue);
  if (present(v.boolValue)) w.boolField(4, v.boolValue);
  if (present(v.structValue)) writeStruct(w, 5, v.structValue);
  if (present(v.listValue)) writeList(w, 6, v.listValue);
  w.close(at);
}

function writeList(w: ProtoWriter, field: number, l: ListValue): void {
  const at = w.open(field);
  for (const v of l.values ?? []) writeValue(w, 1, v);
  w.close(at);
}

// ---- decoding (ProcessingRequest: what Envoy sends) ----
// Each reader takes the end of its message and reads while `r.pos < end`.
// Field semantics follow protobufjs's decoder: the last member of a oneof
// wins, and a field or map key seen twice keeps its last value.

const REQUEST_KINDS = [undefined, undefined, 'request_headers', 'response_headers', 'request_body', 'response_body', 'request_trailers', 'response_trailers'] as const;
const BODY_SEND_MODES = ['NONE', 'STREAMED', 'BUFFERED', 'BUFFERED_PARTIAL', 'FULL_DUPLEX_STREAMED'] as const;
const EMPTY = Buffer.alloc(0);

export function decodeProcessingRequest(buf: Buffer): ProcessingRequest__Output {
  const r = new ProtoReader(buf);
  const end = r.end;
  const out: ProcessingRequest__Output = { metadata_context: null, attributes: {}, observability_mode: false, protocol_config: null };
  while (r.pos < end) {
    const t = r.tag();
    const field = t >>> 3;
    const wire = t & 7;
    if (field >= 2 && field <= 7 && wire === WIRE_LEN) {
      const kind = REQUEST_KINDS[field]!;
      const subEnd = r.len();
      if (out.request && out.request !== kind) delete out[out.request];
      out.request = kind;
      if (kind === 'request_headers' || kind === 'response_headers') out[kind] = readHttpHeaders(r, subEnd);
      else if (kind === 'request_body' || kind === 'response_body') out[kind] = readHttpBody(r, subEnd);
      else out[kind] = { trailers: readTrailers(r, subEnd) };
    } else if (field === 8 && wire === WIRE_LEN) out.metadata_context = readMetadata(r, r.len());
    else if (field === 9 && wire === WIRE_LEN) readMapEntry(r, r.len(), out.attributes, readStruct, emptyStruct);
    else if (field === 10 && wire === WIRE_VARINT) out.observability_mode = r.varint() !== 0;
    else if (field === 11 && wire === WIRE_LEN) out.protocol_config = readProtocolConfig(r, r.len());
    else r.skip(wire);
  }
  return out;
}

function readHttpHeaders(r: ProtoReader, end: number): HttpHeaders__Output {
  const out: HttpHeaders__Output = { headers: null, end_of_stream: false };
  while (r.pos < end) {
    const t = r.tag();
    if (t === ((1 << 3) | WIRE_LEN)) out.headers = readHeaderMap(r, r.len());
    else if (t === ((3 << 3) | WIRE_VARINT)) out.end_of_stream = r.varint() !== 0;
    else r.skip(t & 7);
  }
  return out;
}

function readTrailers(r: ProtoReader, end: number): HeaderMap__Output | null {
  let map: HeaderMap__Output | null = null;
  while (r.pos < end) {
    const t = r.tag();
    if (t === ((1 << 3) | WIRE_LEN)) map = readHeaderMap(r, r.len());
    else r.skip(t & 7);
  }
  return map;
}

function readHeaderMap(r: ProtoReader, end: number): HeaderMap__Output {
  return { headers: readRepeated(r, end, readHeaderValue) };
}

function readHeaderValue(r: ProtoReader, end: number): HeaderValue__Output {
  const out: HeaderValue__Output = { key: '', value: '', raw_value: EMPTY };
  while (r.pos < end) {
    const t = r.tag();
    if (t === ((1 << 3) | WIRE_LEN)) out.key = r.string();
    else if (t === ((2 << 3) | WIRE_LEN)) out.value = r.string();
    else if (t === ((3 << 3) | WIRE_LEN)) out.raw_value = r.bytes();
    else r.skip(t & 7);
  }
  return out;
}

function readHttpBody(r: ProtoReader, end: number): HttpBody__Output {
  const out: HttpBody__Output = { body: EMPTY, end_of_stream: false };
  while (r.pos < end) {
    const t = r.tag();
    if (t === ((1 << 3) | WIRE_LEN)) out.body = r.bytes();
    else if (t === ((2 << 3) | WIRE_VARINT)) out.end_of_stream = r.varint() !== 0;
    else r.skip(t & 7);
  }
  return out;
}

function readMetadata(r: ProtoReader, end: number): Metadata__Output {
  const out: Metadata__Output = { filter_metadata: {}, typed_filter_metadata: {} };
  while (r.pos < end) {
    const t = r.tag();
    if (t === ((1 << 3) | WIRE_LEN)) readMapEntry(r, r.len(), out.filter_metadata, readStruct, emptyStruct);
    else if (t === ((2 << 3) | WIRE_LEN)) readMapEntry(r, r.len(), out.typed_filter_metadata, readAny, emptyAny);
    else r.skip(t & 7);
  }
  return out;
}

function readProtocolConfig(r: ProtoReader, end: number): ProtocolConfiguration__Output {
  const out: ProtocolConfiguration__Output = { request_body_mode: 'NONE', response_body_mode: 'NONE', send_body_without_waiting_for_header_response: false };
  while (r.pos < end) {
    const t = r.tag();
    if (t === ((1 << 3) | WIRE_VARINT)) out.request_body_mode = BODY_SEND_MODES[r.varint()] ?? 'NONE';
    else if (t === ((2 << 3) | WIRE_VARINT)) out.response_body_mode = BODY_SEND_MODES[r.varint()] ?? 'NONE';
    else if (t === ((3 << 3) | WIRE_VARINT)) out.send_body_without_waiting_for_header_response = r.varint() !== 0;
    else r.skip(t & 7);
  }
  return out;
}

/** Field 1, length-delimited: the tag of a repeated sub-message list and of a map entry's key. */
const LEN_FIELD_1 = (1 << 3) | WIRE_LEN;
const LEN_FIELD_2 = (2 << 3) | WIRE_LEN;
const emptyStruct = (): Struct__Output => ({ fields: {} });
const emptyAny = (): Any__Output => ({ type_url: '', value: EMPTY });

/** A message whose only field is `repeated M = 1` (HeaderMap, ListValue). */
function readRepeated<T>(r: ProtoReader, end: number, item: (r: ProtoReader, end: number) => T): T[] {
  const out: T[] = [];
  while (r.pos < end) {
    const t = r.tag();
    if (t === LEN_FIELD_1) out.push(item(r, r.len()));
    else r.skip(t & 7);
  }
  return out;
}

/** One entry of a map<string, M> (key = 1, value = 2); a missing value is M's empty message. */
function readMapEntry<T>(r: ProtoReader, end: number, into: Record<string, T>, value: (r: ProtoReader, end: number) => T, empty: () => T): void {
  let key = '';
  let v: T | undefined;
  while (r.pos < end) {
    const t = r.tag();
    if (t === LEN_FIELD_1) key = r.string();
    else if (t === LEN_FIELD_2) v = value(r, r.len());
    else r.skip(t & 7);
  }
  setEntry(into, key, v ?? empty());
}

/** A map entry as an own property, even for a key like `__proto__` (protobufjs does the same). */
function setEntry<T>(map: Record<string, T>, key: string, value: T): void {
  if (key === '__proto__') Object.defineProperty(map, key, { value, enumerable: true, writable: true, configurable: true });
  else map[key] = value;
}

function readAny(r: ProtoReader, end: number): Any__Output {
  const out: Any__Output = { type_url: '', value: EMPTY };
  while (r.pos < end) {
    const t = r.tag();
    if (t === ((1 << 3) | WIRE_LEN)) out.type_url = r.string();
    else if (t === ((2 << 3) | WIRE_LEN)) out.value = r.bytes();
    else r.skip(t & 7);
  }
  return out;
}

function readStruct(r: ProtoReader, end: number): Struct__Output {
  const out: Struct__Output = { fields: {} };
  while (r.pos < end) {
    const t = r.tag();
    if (t === LEN_FIELD_1) readMapEntry(r, r.len(), out.fields, readValue, () => ({}));
    else r.skip(t & 7);
  }
  return out;
}

function readValue(r: ProtoReader, end: number): Value__Output {
  const out: Value__Output = {};
  const set = <K extends NonNullable<Value__Output['kind']>>(kind: K, v: NonNullable<Value__Output[K]>): void => {
    if (out.kind && out.kind !== kind) delete out[out.kind];
    out.kind = kind;
    out[kind] = v;
  };
  while (r.pos < end) {
    const t = r.tag();
    if (t === ((1 << 3) | WIRE_VARINT)) {
      r.varint();
      set('nullValue', 'NULL_VALUE');
    } else if (t === ((2 << 3) | WIRE_FIXED64)) set('numberValue', r.double());
    else if (t === ((3 << 3) | WIRE_LEN)) set('stringValue', r.string());
    else if (t === ((4 << 3) | WIRE_VARINT)) set('boolValue', r.varint() !== 0);
    else if (t === ((5 << 3) | WIRE_LEN)) set('structValue', readStruct(r, r.len()));
    else if (t === ((6 << 3) | WIRE_LEN)) set('listValue', readList(r, r.len()));
    else r.skip(t & 7);
  }
  return out;
}

function readList(r: ProtoReader, end: number): ListValue__Output {
  return { values: readRepeated(r, end, readValue) };
}
