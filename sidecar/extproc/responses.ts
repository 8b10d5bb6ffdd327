// Builders for the ProcessingResponse messages the sidecar sends to Envoy.
import type { ProcessingResponse } from './generated/envoy/service/ext_proc/v3/ProcessingResponse.ts';
import type { Struct } from './generated/google/protobuf/Struct.ts';
import { CLUSTER_HEADER, ENDPOINT_HEADER, METADATA_NAMESPACE } from '../envoy/config.ts';
import type { ErrorReply } from '../control/errors.ts';

/** Key of the request id in the dynamic metadata the observing filter receives. */
export const REQUEST_ID_KEY = 'request_id';

const header = (key: string, value: string) => ({ header: { key, raw_value: Buffer.from(value) } });

/** Let Envoy go on and send the body (BUFFERED mode). */
export function continueHeaders(): ProcessingResponse {
  return { request_headers: { response: {} } };
}

export interface RouteTarget {
  /** `ip:port` for ORIGINAL_DST mode, or the cluster name for cluster_header mode. */
  mode: 'original_dst' | 'cluster_header';
  value: string;
  metadata: Record<string, string>;
  /** The sidecar's id for this request, passed to the observing filter in dynamic metadata. */
  requestId?: string;
  /** The client sent no JSON content-type: add one (llama-swap answers 404 without it). */
  addJsonContentType?: boolean;
  /** Replacement body (model alias rewrite), if any. */
  body?: Buffer;
}

/** Route the buffered request: set the routing header (overwriting any client copy), drop the other one. */
export function routeBody(t: RouteTarget): ProcessingResponse {
  const set = t.mode === 'original_dst' ? ENDPOINT_HEADER : CLUSTER_HEADER;
  const other = t.mode === 'original_dst' ? CLUSTER_HEADER : ENDPOINT_HEADER;
  const setHeaders = [header(set, t.value)];
  if (t.addJsonContentType) setHeaders.push(header('content-type', 'application/json'));
  if (t.body) setHeaders.push(header('content-length', String(t.body.length)));
  return {
    request_body: {
      response: {
        header_mutation: { set_headers: setHeaders, remove_headers: [other] },
        ...(t.body ? { body_mutation: { body: t.body } } : {}),
        clear_route_cache: true,
      },
    },
    dynamic_metadata: struct({ [METADATA_NAMESPACE]: t.requestId ? { ...t.metadata, [REQUEST_ID_KEY]: t.requestId } : t.metadata }),
  };
}

/** A finished answer from the sidecar itself: an error, or a JSON document (GET /v1/models). */
export function immediate(status: number, body: string, details: string, extraHeaders: Record<string, string> = {}): ProcessingResponse {
  const headers = [header('content-type', 'application/json'), ...Object.entries(extraHeaders).map(([k, v]) => header(k, v))];
  return { immediate_response: { status: { code: status as never }, headers: { set_headers: headers }, body: Buffer.from(body), details } };
}

export function errorResponse(e: ErrorReply): ProcessingResponse {
  const extra: Record<string, string> = {};
  if (e.retryAfterS !== undefined) extra['retry-after'] = String(Math.max(1, Math.ceil(e.retryAfterS)));
  return immediate(e.status, JSON.stringify(e.body), `warmroute_${e.code}`, extra);
}

/** Extend Envoy's wait for our answer while a request is queued. */
export function extendTimeout(ms: number): ProcessingResponse {
  const seconds = Math.floor(ms / 1000);
  return { override_message_timeout: { seconds: String(seconds), nanos: (ms % 1000) * 1e6 } };
}

/** Dynamic metadata: namespace → string fields. */
export function struct(ns: Record<string, Record<string, string>>): Struct {
  const fields: NonNullable<Struct['fields']> = {};
  for (const [name, kv] of Object.entries(ns)) {
    const inner: NonNullable<Struct['fields']> = {};
    for (const [k, v] of Object.entries(kv)) inner[k] = { stringValue: v };
    fields[name] = { structValue: { fields: inner } };
  }
  return { fields };
}

/** Let the response go on unchanged (the routing stream reads its status, nothing more). */
export const RESPONSE_HEADERS_CONTINUE: ProcessingResponse = { response_headers: { response: {} } };
