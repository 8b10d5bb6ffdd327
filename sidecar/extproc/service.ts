// One ext_proc stream = one HTTP request. Envoy sends the request headers,
// then (BUFFERED) the whole body; we answer with a routing header or an
// immediate response; then the response headers, whose status we read and
// let go on. The stream stays open until the HTTP exchange ends (a BUFFERED
// request body, no response body processing), so its end is the completion
// signal: no message per streamed chunk. No I/O happens here.
import type { ProcessingRequest__Output } from './generated/envoy/service/ext_proc/v3/ProcessingRequest.ts';
import { CODE_DETAILS_ATTRIBUTE, METADATA_NAMESPACE } from '../envoy/config.ts';
import { upstreamFailureOf, type UpstreamFailure } from '../backends/failure-evidence.ts';
import { RESPONSE_HEADERS_CONTINUE, continueHeaders, extendTimeout, routeBody } from './responses.ts';
import { gatewayAnswer } from './gateway-answers.ts';
import { BODY_ROUTES, type ApiKind } from '../request/parse.ts';
import { errorReply } from '../control/errors.ts';
import type { RequestControl } from '../control/request-control.ts';
import type { Datastore } from '../backends/datastore.ts';
import type { Policy } from '../policy/schema.ts';
import { RESPONSE_ID_SCAN_BYTES, ResponseIdTable } from '../control/response-ids.ts';
import { eppStream } from '../epp/stream.ts';
import { decide, headerMap, QUEUE_TIMEOUT_MARGIN_MS, requestStream } from './decide.ts';

export type { ExtProcStream } from './grpc-server.ts';
import type { ExtProcStream } from './grpc-server.ts';

export interface ServiceDeps {
  policy(): Policy;
  store: Datastore;
  control: RequestControl;
  log(event: string, fields: Record<string, unknown>): void;
  /** Decision latency of a request dispatched without waiting (ms). */
  decided(ms: number): void;
  /** Where each Responses-API response id is stored. */
  responseIds: ResponseIdTable;
  /** A routed request's response status arrived (observing filter), with what a 5xx says about the backend. */
  observeResponse(backend: string, model: string, status: number, failure: UpstreamFailure | undefined): void;
}

export function handleStream(call: ExtProcStream, deps: ServiceDeps): void {
  call.once('data', (first: ProcessingRequest__Output) => {
    if (first.observability_mode) observeStream(call, first, deps);
    else if (deps.policy().envoy.mode === 'epp') eppStream(call, first, deps);
    else routeStream(call, first, deps);
  });
}

/** Where Envoy puts the ext_proc filter's requested attributes (keyed by filter name, not instance name). */
const EXT_PROC_ATTRIBUTES = 'envoy.filters.http.ext_proc';

/**
 * The observing filter's stream, on /v1/responses only: response headers
 * (our routing facts in the forwarded dynamic metadata), then the body's
 * first bytes, where the response id is. Envoy does not wait for answers here.
 */
function observeStream(call: ExtProcStream, first: ProcessingRequest__Output, deps: ServiceDeps): void {
  let backend: string | undefined;
  let head = '';
  // Our side ends as soon as nothing more is to be learned, so the stream
  // closes cleanly (grpc-status OK) instead of Envoy resetting it after
  // deferred_close_timeout. Node's HTTP/2 server answers a steady stream of
  // resets with GOAWAY (nghttp2's rapid-reset guard: 1,000, then 33 a second
  // per connection), which refuses every stream opened after it.
  let ended = false;
  const done = (): void => {
    if (ended) return;
    ended = true;
    call.end();
  };
  const onMessage = (msg: ProcessingRequest__Output): void => {
    if (msg.request === 'response_headers') {
      backend = msg.metadata_context?.filter_metadata[METADATA_NAMESPACE]?.fields?.backend?.stringValue ?? undefined;
      const status = Number(headerValue(msg.response_headers?.headers?.headers, ':status') ?? 0);
      if (!backend || status >= 300 || msg.response_headers?.end_of_stream) done();
    } else if (msg.request === 'response_body' && backend && !ended) {
      head += msg.response_body?.body.toString('utf8', 0, RESPONSE_ID_SCAN_BYTES) ?? '';
      const id = ResponseIdTable.find(head);
      if (id) deps.responseIds.remember(id, backend);
      if (id || head.length >= RESPONSE_ID_SCAN_BYTES || msg.response_body?.end_of_stream) done();
    }
  };
  onMessage(first);
  call.on('data', onMessage);
  call.on('error', () => {});
  call.on('end', done);
}

function headerValue(list: Array<{ key: string; value: string; raw_value: Buffer }> | undefined, name: string): string | undefined {
  const h = list?.find((x) => x.key === name);
  return h && (h.raw_value.length ? h.raw_value.toString('utf8') : h.value);
}

function routeStream(call: ExtProcStream, first: ProcessingRequest__Output, deps: ServiceDeps): void {
  let headers = new Map<string, string>();
  let api: ApiKind | undefined;
  let bodySeen = false;
  const { send, fail, hold, closed } = requestStream(call, deps);

  // Where this request went, once routed: its response's status is evidence about that backend.
  let routed: { backend: string; model: string } | undefined;
  const onMessage = (msg: ProcessingRequest__Output): void => {
    try {
      if (msg.request === 'response_headers') {
        // Answer at once, whatever happens below: Envoy holds the response until we do.
        send(RESPONSE_HEADERS_CONTINUE);
        if (routed) {
          const status = Number(headerValue(msg.response_headers?.headers?.headers, ':status') ?? 0);
          const details = msg.attributes?.[EXT_PROC_ATTRIBUTES]?.fields?.[CODE_DETAILS_ATTRIBUTE]?.stringValue ?? undefined;
          deps.observeResponse(routed.backend, routed.model, status, upstreamFailureOf(status, details));
        }
        return;
      }
      if (msg.request === 'request_headers' && msg.request_headers) {
        headers = headerMap(msg.request_headers.headers?.headers);
        const method = headers.get(':method') ?? 'GET';
        const path = (headers.get(':path') ?? '/').split('?')[0]!;
        const anthropic = headers.has('anthropic-version');
        const own = gatewayAnswer(method, { path, anthropic, store: deps.store });
        if (own) return send(own);
        api = BODY_ROUTES.get(path);
        if (!api) return fail(errorReply(404, 'unknown_endpoint', `The gateway does not route ${method} ${path}.`, { anthropic }));
        if (method !== 'POST') return fail(errorReply(405, 'method_not_allowed', `${path} takes POST.`, { anthropic }));
        if (msg.request_headers.end_of_stream) return fail(errorReply(400, 'missing_body', 'Request has no body.', { anthropic: api === 'anthropic-messages' }));
        return send(continueHeaders());
      }
      if (msg.request === 'request_body' && msg.request_body && api) {
        // BUFFERED sends the whole body in one message (end_of_stream is false only
        // when trailers follow, which this filter skips): decide on it either way.
        if (bodySeen) return;
        bodySeen = true;
        onBody(msg.request_body.body, api);
        return;
      }
      // Anything else (trailers, response bodies) is not configured.
    } catch (err) {
      deps.log('extproc_error', { error: String(err) });
      fail(errorReply(500, 'internal_error', 'The router failed to process this request.'));
    }
  };
  onMessage(first);
  call.on('data', onMessage);

  function onBody(body: Buffer, apiKind: ApiKind): void {
    decide({
      deps,
      apiKind,
      body,
      headers,
      closed,
      hold,
      fail,
      queued: () => send(extendTimeout(deps.policy().scheduler.queue.timeout_ms + QUEUE_TIMEOUT_MARGIN_MS)),
      dispatch: (d) => {
        const mode = deps.policy().envoy.mode === 'cluster_header' ? 'cluster_header' : 'original_dst';
        const value = mode === 'original_dst' ? deps.store.address(d.record.backend) : deps.store.spec(d.record.backend)?.cluster ?? d.record.backend;
        if (!value) return false;
        send(routeBody({ mode, value, body: d.rewrittenBody, requestId: d.requestId, addJsonContentType: d.addJsonContentType, metadata: d.metadata }));
        routed = { backend: d.record.backend, model: d.record.model };
        return true;
      },
    });
  }
}
