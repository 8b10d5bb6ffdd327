// The Gateway API Inference Extension endpoint-picker protocol (EPP), as far as
// warmroute speaks it: the names on the wire and the few messages that differ
// from warmroute's own Envoy protocol. Reference:
// kubernetes-sigs/gateway-api-inference-extension docs/proposals/004-endpoint-picker-protocol.
import type { Metadata__Output } from '../extproc/generated/envoy/config/core/v3/Metadata.ts';
import type { ProcessingRequest__Output } from '../extproc/generated/envoy/service/ext_proc/v3/ProcessingRequest.ts';
import type { ProcessingResponse } from '../extproc/generated/envoy/service/ext_proc/v3/ProcessingResponse.ts';
import type { Struct } from '../extproc/generated/google/protobuf/Struct.ts';
import { METADATA_NAMESPACE } from '../envoy/config.ts';
import { REQUEST_ID_KEY, struct } from '../extproc/responses.ts';

/** Header (and metadata key) carrying the picked endpoint(s): `ip:port[,ip:port…]`, first one primary. */
export const DESTINATION_ENDPOINT = 'x-gateway-destination-endpoint';
/** Dynamic metadata namespace of the picked endpoint(s) and of the endpoint the data plane reports as served. */
export const DESTINATION_NAMESPACE = 'envoy.lb';
/** Key the data plane reports the endpoint that actually served the request under (response messages). */
export const DESTINATION_SERVED = 'x-gateway-destination-endpoint-served';
/** Filter metadata namespace and key of the gateway's endpoint subset: pick only among these. */
export const SUBSET_NAMESPACE = 'envoy.lb.subset_hint';
export const SUBSET_KEY = 'x-gateway-destination-endpoint-subset';

const header = (key: string, value: string) => ({ header: { key, raw_value: Buffer.from(value) } });

/**
 * The gateway's endpoint subset, or undefined when it sent none (then the
 * whole pool is eligible). Gateways send a list of strings, or one
 * comma-separated string (a header copied into metadata): both are read.
 */
export function readSubset(metadata: Metadata__Output | null | undefined): string[] | undefined {
  const value = metadata?.filter_metadata[SUBSET_NAMESPACE]?.fields?.[SUBSET_KEY];
  if (!value) return undefined;
  const raw = value.listValue ? value.listValue.values.map((v) => v.stringValue ?? '') : [value.stringValue ?? ''];
  return raw.flatMap((s) => s.split(',')).map((s) => s.trim()).filter((s) => s.length > 0);
}

/**
 * The endpoint that served the request (after a failover, not the first one
 * picked): the protocol's `envoy.lb` metadata, else Envoy's `upstream.address`
 * attribute when the gateway sends it (ext_proc `response_attributes`).
 */
export function readServed(msg: ProcessingRequest__Output): string | undefined {
  const reported = msg.metadata_context?.filter_metadata[DESTINATION_NAMESPACE]?.fields?.[DESTINATION_SERVED]?.stringValue;
  return reported || msg.attributes[EXT_PROC_ATTRIBUTES]?.fields?.[UPSTREAM_ADDRESS]?.stringValue || undefined;
}

const EXT_PROC_ATTRIBUTES = 'envoy.filters.http.ext_proc';
/** Envoy attribute with the upstream's `ip:port`, for gateways that do not report the served endpoint. */
export const UPSTREAM_ADDRESS = 'upstream.address';

export interface Pick {
  /** Primary first, then fallbacks, all `ip:port`. */
  endpoints: readonly string[];
  /** warmroute's own decision facts (its metadata namespace, for access logs). */
  metadata: Record<string, string>;
  requestId: string;
  /** Replacement body (model alias rewrite), if any. */
  body?: Buffer;
  addJsonContentType: boolean;
}

/** The same endpoint list in the header and in `envoy.lb` metadata, as the protocol requires. */
function pickMutation(p: Pick, bufferedBody: boolean): { common: NonNullable<ProcessingResponse['request_headers']>['response']; metadata: Struct } {
  const list = p.endpoints.join(',');
  const set = [header(DESTINATION_ENDPOINT, list)];
  if (p.addJsonContentType) set.push(header('content-type', 'application/json'));
  if (bufferedBody && p.body) set.push(header('content-length', String(p.body.length)));
  return {
    common: { header_mutation: { set_headers: set }, clear_route_cache: true },
    metadata: struct({ [DESTINATION_NAMESPACE]: { [DESTINATION_ENDPOINT]: list }, [METADATA_NAMESPACE]: { ...p.metadata, [REQUEST_ID_KEY]: p.requestId } }),
  };
}

/** BUFFERED gateway: the pick rides on the body response (headers were already let through). */
export function pickOnBody(p: Pick): ProcessingResponse {
  const { common, metadata } = pickMutation(p, true);
  return { request_body: { response: { ...common, ...(p.body ? { body_mutation: { body: p.body } } : {}) } }, dynamic_metadata: metadata };
}

/**
 * FULL_DUPLEX_STREAMED gateway: the deferred headers response carries the
 * pick, then the processor re-emits the body it held (Envoy forwards only
 * what the processor sends back in this mode).
 */
export function pickOnHeaders(p: Pick): ProcessingResponse {
  const { common, metadata } = pickMutation(p, false);
  return { request_headers: { response: common }, dynamic_metadata: metadata };
}

/** One re-emitted body chunk (FULL_DUPLEX_STREAMED). */
export function streamedChunk(direction: 'request_body' | 'response_body', body: Buffer, endOfStream: boolean): ProcessingResponse {
  return { [direction]: { response: { body_mutation: { streamed_response: { body, end_of_stream: endOfStream } } } } };
}

/** Let a message through unchanged. */
export function pass(kind: 'request_headers' | 'response_headers' | 'request_body' | 'response_body' | 'request_trailers' | 'response_trailers'): ProcessingResponse {
  return kind === 'request_trailers' || kind === 'response_trailers' ? { [kind]: {} } : { [kind]: { response: {} } };
}
