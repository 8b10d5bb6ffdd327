// One ext_proc stream from an Inference Extension gateway = one HTTP request,
// answered in the endpoint-picker protocol. The scheduler, queue and
// completion accounting are warmroute's own; only the candidate set (the
// gateway's subset hint) and the encoding of the decision differ.
//
// Gateways configure the filter either BUFFERED (one body message, sent after
// the headers are answered) or FULL_DUPLEX_STREAMED (body chunks arrive
// without waiting; the headers answer is deferred until the body is complete
// and then carries the pick; every body byte is re-emitted by the processor,
// both ways). The first message's protocol_config tells which. No I/O here.
import type { ProcessingRequest__Output } from '../extproc/generated/envoy/service/ext_proc/v3/ProcessingRequest.ts';
import type { ExtProcStream, ServiceDeps } from '../extproc/service.ts';
import { decide, headerMap, QUEUE_TIMEOUT_MARGIN_MS, requestStream } from '../extproc/decide.ts';
import { continueHeaders, extendTimeout } from '../extproc/responses.ts';
import { gatewayAnswer } from '../extproc/gateway-answers.ts';
import { BODY_ROUTES, type ApiKind } from '../request/parse.ts';
import { errorReply } from '../control/errors.ts';
import { RESPONSE_ID_SCAN_BYTES, ResponseIdTable } from '../control/response-ids.ts';
import type { DecisionRecord } from '../scheduler/types.ts';
import { EndpointIndex } from './endpoints.ts';
import { pass, pickOnBody, pickOnHeaders, readServed, readSubset, streamedChunk, type Pick } from './protocol.ts';
import { upstreamFailureOf } from '../backends/failure-evidence.ts';


const indexes = new WeakMap<ServiceDeps['store'], EndpointIndex>();
function indexFor(store: ServiceDeps['store']): EndpointIndex {
  let index = indexes.get(store);
  if (!index) indexes.set(store, (index = new EndpointIndex(store)));
  return index;
}

export function eppStream(call: ExtProcStream, first: ProcessingRequest__Output, deps: ServiceDeps): void {
  const duplexRequest = first.protocol_config?.request_body_mode === 'FULL_DUPLEX_STREAMED';
  const duplexResponse = first.protocol_config?.response_body_mode === 'FULL_DUPLEX_STREAMED';
  const requestMode = first.protocol_config?.request_body_mode;
  let headers = new Map<string, string>();
  let api: ApiKind | undefined;
  let path = '/';
  let subset: string[] | undefined;
  const chunks: Buffer[] = [];
  let bodyBytes = 0;
  let bodyDone = false;
  let route: { backend: string; model: string; primary: string } | undefined;
  let responseHead = '';
  let responseIdFound = false;
  /** FULL_DUPLEX: request trailers arrived before the pick; answered after it, in order. */
  let trailersWaiting = false;
  let picked = false;
  const { send, fail, hold, closed } = requestStream(call, deps);

  const onMessage = (msg: ProcessingRequest__Output): void => {
    try {
      switch (msg.request) {
        case 'request_headers':
          return onHeaders(msg);
        case 'request_body':
          return onBodyChunk(msg.request_body?.body ?? Buffer.alloc(0), msg.request_body?.end_of_stream ?? false);
        case 'request_trailers':
          // Trailers end the body when the gateway sends them (trailer mode SEND); answers go in message order.
          if (duplexRequest && !picked) trailersWaiting = true;
          else send(pass('request_trailers'));
          if (!bodyDone && api) completeBody();
          return;
        case 'response_headers':
          return onResponseHeaders(msg);
        case 'response_body':
          return onResponseBody(msg.response_body?.body ?? Buffer.alloc(0), msg.response_body?.end_of_stream ?? false);
        case 'response_trailers':
          return send(pass('response_trailers'));
        default:
          return;
      }
    } catch (err) {
      deps.log('extproc_error', { error: String(err), mode: 'epp' });
      fail(errorReply(500, 'internal_error', 'The endpoint picker failed to process this request.'));
    }
  };

  function onHeaders(msg: ProcessingRequest__Output): void {
    headers = headerMap(msg.request_headers?.headers?.headers);
    subset = readSubset(msg.metadata_context);
    const method = headers.get(':method') ?? 'GET';
    path = (headers.get(':path') ?? '/').split('?')[0]!;
    const anthropic = headers.has('anthropic-version');
    // The pool's model list and health come from warmroute's picture of every endpoint, as on its own gateway.
    const own = gatewayAnswer(method, { path, anthropic, store: deps.store });
    if (own) return send(own);
    api = BODY_ROUTES.get(path);
    if (!api) return fail(errorReply(404, 'unknown_endpoint', `The endpoint picker does not route ${method} ${path}.`, { anthropic }));
    if (method !== 'POST') return fail(errorReply(405, 'method_not_allowed', `${path} takes POST.`, { anthropic }));
    if (msg.request_headers?.end_of_stream) return fail(errorReply(400, 'missing_body', 'Request has no body.', { anthropic: api === 'anthropic-messages' }));
    if (requestMode !== undefined && requestMode !== 'BUFFERED' && requestMode !== 'FULL_DUPLEX_STREAMED') {
      return fail(errorReply(500, 'unsupported_gateway_mode', `The gateway sends request bodies ${requestMode}; warmroute needs BUFFERED or FULL_DUPLEX_STREAMED.`));
    }
    // FULL_DUPLEX: the headers answer waits for the body and carries the pick.
    if (!duplexRequest) send(continueHeaders());
  }

  function onBodyChunk(body: Buffer, endOfStream: boolean): void {
    if (!api || bodyDone) return;
    bodyBytes += body.length;
    if (bodyBytes > deps.policy().envoy.max_body_bytes) {
      return fail(errorReply(413, 'request_too_large', `Request body exceeds the limit of ${deps.policy().envoy.max_body_bytes} bytes.`, { anthropic: api === 'anthropic-messages' }));
    }
    chunks.push(body);
    // BUFFERED sends the whole body in one message (end_of_stream false only when trailers follow).
    if (endOfStream || !duplexRequest) completeBody();
  }

  function completeBody(): void {
    bodyDone = true;
    decideOn(Buffer.concat(chunks), api!);
    chunks.length = 0;
  }

  function decideOn(body: Buffer, apiKind: ApiKind): void {
    let allowedBackends: string[] | undefined;
    if (subset !== undefined) {
      allowedBackends = indexFor(deps.store).backendsIn(subset);
      if (allowedBackends.length === 0) {
        const message = `None of the gateway's ${subset.length} candidate endpoints is a backend warmroute knows.`;
        return fail(errorReply(503, 'no_healthy_backend', message, { anthropic: apiKind === 'anthropic-messages', retryAfterS: 1 }));
      }
    }
    decide({
      deps,
      apiKind,
      body,
      headers,
      allowedBackends,
      closed,
      hold,
      fail,
      queued: () => {
        // FULL_DUPLEX has no per-message timer to extend.
        if (!duplexRequest) send(extendTimeout(deps.policy().scheduler.queue.timeout_ms + QUEUE_TIMEOUT_MARGIN_MS));
      },
      dispatch: (d) => {
        const endpoints = endpointList(d.record);
        if (endpoints.length === 0) return false;
        route = { backend: d.record.backend, model: d.record.model, primary: endpoints[0]! };
        const pick: Pick = { endpoints, requestId: d.requestId, body: d.rewrittenBody, addJsonContentType: d.addJsonContentType, metadata: d.metadata };
        picked = true;
        if (duplexRequest) {
          send(pickOnHeaders(pick));
          send(streamedChunk('request_body', d.rewrittenBody ?? body, !trailersWaiting));
          if (trailersWaiting) send(pass('request_trailers'));
        } else send(pickOnBody(pick));
        return true;
      },
    });
  }

  /** The chosen backend's endpoint, then up to `epp_fallbacks` others the scheduler found admissible, soonest start first. */
  function endpointList(r: DecisionRecord): string[] {
    const primary = deps.store.address(r.backend);
    if (!primary) return [];
    const limit = deps.policy().envoy.epp_fallbacks;
    if (limit === 0 || !r.expectedStartsMs) return [primary];
    const others = Object.entries(r.expectedStartsMs)
      .filter(([name]) => name !== r.backend)
      .sort((a, b) => a[1] - b[1])
      .slice(0, limit)
      .map(([name]) => deps.store.address(name))
      .filter((a): a is string => a !== undefined && a !== primary);
    return [primary, ...others];
  }

  function onResponseHeaders(msg: ProcessingRequest__Output): void {
    send(pass('response_headers'));
    if (!route) return;
    const status = Number(headerOf(msg, ':status') ?? 0);
    const served = readServed(msg);
    // The gateway's Envoy is not ours, so no code details tell why a 5xx happened: it counts toward a streak only.
    if (!served || served === route.primary) return deps.observeResponse(route.backend, route.model, status, upstreamFailureOf(status, undefined));
    // The gateway failed over down the list: the first endpoint could not be reached, another one answered.
    deps.observeResponse(route.backend, route.model, 503, 'connect');
    const other = indexFor(deps.store).backendsIn([served])[0];
    if (other !== undefined) deps.observeResponse(other, route.model, status, upstreamFailureOf(status, undefined));
  }

  function onResponseBody(body: Buffer, endOfStream: boolean): void {
    if (duplexResponse) send(streamedChunk('response_body', body, endOfStream));
    else send(pass('response_body'));
    // Responses API: remember which backend stores the response id (as the observing filter does).
    if (route && path === '/v1/responses' && !responseIdFound && responseHead.length < RESPONSE_ID_SCAN_BYTES) {
      responseHead += body.toString('utf8', 0, RESPONSE_ID_SCAN_BYTES);
      const rid = ResponseIdTable.find(responseHead);
      if (rid) {
        responseIdFound = true;
        deps.responseIds.remember(rid, route.backend);
      }
    }
  }

  onMessage(first);
  call.on('data', onMessage);
}

function headerOf(msg: ProcessingRequest__Output, name: string): string | undefined {
  const h = msg.response_headers?.headers?.headers.find((x) => x.key === name);
  return h && (h.raw_value.length ? h.raw_value.toString('utf8') : h.value);
}
