// From a complete request body to a dispatch or a refusal, shared by the
// routing stream (warmroute's own Envoy) and the endpoint-picker stream (an
// Inference Extension gateway): parse, admit into the scheduler, wait if
// queued, and hand the decision to the caller, which encodes it for its
// protocol. No I/O.
import { randomUUID } from 'node:crypto';
import type { ExtProcStream, ServiceDeps } from './service.ts';
import { parseRequest, RequestError, type ApiKind } from '../request/parse.ts';
import { errorReply, type ErrorReply } from '../control/errors.ts';
import { rewriteModel } from '../request/rewrite.ts';
import { errorResponse } from './responses.ts';
import type { ProcessingResponse } from './generated/envoy/service/ext_proc/v3/ProcessingResponse.ts';
import type { DecisionRecord } from '../scheduler/types.ts';

/** Margin on top of the queue timeout for Envoy's wait, so the sidecar's own 503 wins the race. */
export const QUEUE_TIMEOUT_MARGIN_MS = 5_000;

export interface Dispatched {
  requestId: string;
  record: DecisionRecord;
  /** The body with the backend's model id, when an alias applies. */
  rewrittenBody?: Buffer;
  /** The client sent no JSON content-type (llama-swap answers 404 without one). */
  addJsonContentType: boolean;
  /** Decision facts for Envoy's dynamic metadata (access logs, debug headers). */
  metadata: Record<string, string>;
}

export interface DecideRequest {
  deps: ServiceDeps;
  apiKind: ApiKind;
  body: Buffer;
  headers: ReadonlyMap<string, string>;
  /** Only these backends may serve it (an endpoint picker's subset hint). */
  allowedBackends?: string[];
  /** The stream is over (the client left): drop the decision. */
  closed(): boolean;
  /** The id the request holds a queue place or slot under; undefined once it holds nothing. */
  hold(id: string | undefined): void;
  fail(e: ErrorReply): void;
  /** The request has to wait in the queue. */
  queued(): void;
  /** Encode and send the decision; false when the chosen backend cannot be addressed any more. */
  dispatch(d: Dispatched): boolean;
}

export function decide(r: DecideRequest): void {
  const receivedAt = performance.now();
  const policy = r.deps.policy();
  const anthropic = r.apiKind === 'anthropic-messages';
  let parsed;
  try {
    parsed = parseRequest(r.apiKind, r.body, r.headers, { headers: policy.sessions.headers, prefixHash: policy.sessions.prefix_hash });
  } catch (e) {
    if (e instanceof RequestError) return r.fail(errorReply(e.status, e.code, e.message, { anthropic }));
    throw e;
  }
  const id = randomUUID();
  r.hold(id);
  const { queued, decision } = r.deps.control.admit({
    id,
    model: parsed.model,
    sessionKey: parsed.sessionKey,
    pinnedBackend: parsed.previousResponseId ? r.deps.responseIds.backendOf(parsed.previousResponseId) : undefined,
    allowedBackends: r.allowedBackends,
    promptBytes: parsed.bodyBytes,
    stream: parsed.stream,
  });
  if (queued) r.queued();
  void decision.then((o) => {
    if (r.closed()) return;
    if (o.type === 'reject') {
      r.hold(undefined); // nothing to release
      return r.fail(errorReply(o.status, o.code, o.message, { anthropic, retryAfterS: o.retryAfterS }));
    }
    const rec = o.record;
    const sent = r.dispatch({
      requestId: id,
      record: rec,
      rewrittenBody: rec.backendModelId !== parsed.model ? rewriteModel(r.body, rec.backendModelId) : undefined,
      addJsonContentType: !(r.headers.get('content-type') ?? '').includes('json'),
      metadata: { backend: rec.backend, model: rec.model, reason: rec.reason, queued_ms: String(Math.round(rec.queuedMs)), session: parsed.sessionKey ?? '' },
    });
    if (!sent) {
      r.deps.control.finish(id, { ok: false });
      r.hold(undefined);
      return r.fail(errorReply(503, 'no_healthy_backend', 'The chosen backend is no longer configured.', { anthropic, retryAfterS: 1 }));
    }
    if (!queued) r.deps.decided(performance.now() - receivedAt);
  });
}

/** One request's stream: answers go out while it is open; its end finishes the request exactly once. */
export interface RequestStream {
  send(r: ProcessingResponse): void;
  /** Refuse with a JSON error (an immediate response). */
  fail(e: ErrorReply): void;
  /** The id the request holds a queue place or slot under (released when the stream ends); undefined = nothing. */
  hold(id: string | undefined): void;
  closed(): boolean;
}

/**
 * Envoy ends the stream (END_STREAM then RST) when the HTTP exchange ends for
 * any reason: the first of these events finishes the request.
 */
export function requestStream(call: ExtProcStream, deps: ServiceDeps): RequestStream {
  let done = false;
  let held: string | undefined;
  const finish = (): void => {
    if (done) return;
    done = true;
    if (held !== undefined) deps.control.finish(held);
  };
  call.on('end', () => {
    finish();
    call.end(); // Envoy half-closed: close our side too so the HTTP/2 stream is freed at once
  });
  call.on('cancelled', finish);
  call.on('close', finish);
  call.on('error', finish);
  const send = (r: ProcessingResponse): void => {
    if (!done && !call.destroyed && call.writable) call.write(r);
  };
  return { send, fail: (e) => send(errorResponse(e)), hold: (id) => (held = id), closed: () => done };
}

/** Request headers by lower-case name. */
export function headerMap(list: ReadonlyArray<{ key: string; value: string; raw_value: Buffer }> | undefined): Map<string, string> {
  const headers = new Map<string, string>();
  for (const h of list ?? []) headers.set(h.key.toLowerCase(), h.raw_value.length ? h.raw_value.toString('utf8') : h.value);
  return headers;
}
