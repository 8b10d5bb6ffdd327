// How many concurrent streams Envoy may open to the sidecar, derived from the
// policy. Every HTTP exchange Envoy holds for a routed request (queued or
// streaming) holds one routing stream, and each routed response one observing
// stream until `deferred_close_timeout` after it ends. Envoy's defaults (1,024
// per cluster) turned a burst into `503 router_unavailable` (issue 11): the
// gateway refused requests for its own reasons. Admission belongs to the
// sidecar (429 queue_full with Retry-After), so Envoy's limits sit far above it.
import type { Policy } from '../policy/schema.ts';

/**
 * The floor of every stream limit. Even the requests the sidecar refuses at
 * once (429 over a full queue) or answers itself (GET /v1/models) need a
 * stream to receive that answer, and a client burst is bounded only by how
 * many connections Envoy's listener accepts (file descriptors), not by the
 * policy. Circuit breakers are counters, so a high limit costs no memory;
 * it only guards against a runaway.
 */
export const MIN_SIDECAR_STREAMS = 100_000;

/**
 * Streams per HTTP/2 connection to the sidecar. Spreading streams over a few
 * connections bounds what one connection's loss (or one HTTP/2 session's
 * flow-control window) can touch; the sidecar's gRPC server never advertises
 * a lower limit (see GRPC_SERVER_MAX_CONCURRENT_STREAMS), because a stream
 * over the server's advertised limit is refused with REFUSED_STREAM.
 */
export const STREAMS_PER_CONNECTION = 4_096;

/**
 * Streams one connection to the sidecar carries in its lifetime before Envoy
 * drains it and opens another. nghttp2 (Node's HTTP/2) treats more than 1,000
 * stream resets on one connection (refilled at 33 a second) as a rapid-reset
 * attack (CVE-2023-44487) and sends GOAWAY; Envoy closes each ext_proc stream
 * with a reset, so a connection must see fewer streams than that. Opening a
 * local connection every 500 requests costs little.
 */
export const MAX_STREAMS_PER_SIDECAR_CONNECTION = 500;

/** What the sidecar's gRPC server advertises (SETTINGS_MAX_CONCURRENT_STREAMS): no limit of its own. */
export const GRPC_SERVER_MAX_CONCURRENT_STREAMS = 2 ** 31 - 1;

/** Requests a policy lets the sidecar hold at once: the whole queue plus every backend's slots. */
export function heldByPolicy(policy: Policy): number {
  const slots = policy.backends.reduce((sum, b) => sum + (b.slots ?? policy.scheduler.default_slots), 0);
  return policy.scheduler.queue.max_length + slots;
}

export interface SidecarCapacity {
  /** Concurrent streams (HTTP/2 requests) per sidecar cluster: max_requests and max_pending_requests. */
  streams: number;
  /** HTTP/2 connections per sidecar cluster. */
  connections: number;
  /** Streams per connection (Envoy's http2 max_concurrent_streams towards the sidecar). */
  streamsPerConnection: number;
  /** Streams per connection over its lifetime (max_requests_per_connection). */
  streamsPerConnectionLifetime: number;
}

/**
 * Twice what the policy holds (probed slots may exceed the policy's, and
 * refused requests hold a stream briefly), and never below the floor.
 */
export function sidecarCapacity(policy: Policy): SidecarCapacity {
  const streams = Math.max(MIN_SIDECAR_STREAMS, 2 * heldByPolicy(policy));
  return {
    streams,
    // Draining connections (past their lifetime budget) still carry their running streams.
    connections: Math.ceil(streams / Math.min(STREAMS_PER_CONNECTION, MAX_STREAMS_PER_SIDECAR_CONNECTION)) + 64,
    streamsPerConnection: STREAMS_PER_CONNECTION,
    streamsPerConnectionLifetime: MAX_STREAMS_PER_SIDECAR_CONNECTION,
  };
}
