// Renders the Envoy bootstrap for a policy. The committed files under envoy/
// are this function's output for the demo policy (a test keeps them equal), so
// users who run their own Envoy copy a known-good config.
import { stringify } from 'yaml';
import type { Policy } from '../policy/schema.ts';
import { renderGatewayConfig } from '../epp/gateway-config.ts';
import { withSidecarReplicas } from './replicas.ts';
import { sidecarCapacity } from './capacity.ts';
import { listenerBootstrap, socket, type Yaml } from './bootstrap.ts';

/** Header the sidecar sets to `ip:port` (ORIGINAL_DST mode). */
export const ENDPOINT_HEADER = 'x-warmroute-endpoint';
/** Header the sidecar sets to a cluster name (cluster_header mode). */
export const CLUSTER_HEADER = 'x-warmroute-cluster';
export const ROUTING_HEADERS = [ENDPOINT_HEADER, CLUSTER_HEADER] as const;
/** Dynamic metadata namespace the sidecar writes (access logs, debug headers). */
export const METADATA_NAMESPACE = 'warmroute';
export const SIDECAR_CLUSTER = 'warmroute_sidecar';
/** The observing filter's own cluster (same sidecar address, own connections and circuit breakers). */
export const OBSERVE_CLUSTER = 'warmroute_sidecar_observe';
export const ORIGINAL_DST_CLUSTER = 'warmroute_backends';

/**
 * The ext_proc per-message timeout. The sidecar answers at once unless it
 * queues a request; then it extends the timer with override_message_timeout
 * (up to MAX_MESSAGE_TIMEOUT_S), so a policy can raise its queue timeout
 * without an Envoy restart. "At once" is not at once under a burst: 10,000
 * requests arriving together kept a busy 2-core sidecar past 10 s, and every
 * timeout became a 503 (bench:load). A crashed sidecar fails its streams at
 * once anyway; this only bounds how long a stuck one is waited for.
 */
export const MESSAGE_TIMEOUT_S = 60;
export const MAX_MESSAGE_TIMEOUT_S = 3600;

export type { Yaml } from './bootstrap.ts';

/**
 * One retry when the request never reached the backend: the connection could
 * not be made (a listen backlog overflowing under a burst: bench:load saw a
 * handful in 10,000 streams), or it was reset before any request byte went out
 * (the keep-alive race: a backend closes an idle connection as Envoy reuses
 * it; Node servers close after 5 s). Nothing was sent, so even a POST is safe
 * to send again, and one lost connection does not mark a backend down for
 * everyone (a failed request does, until a probe succeeds). A dead backend
 * fails the retry too, at once, and is marked down.
 */
const RESET_BEFORE_REQUEST_RETRY: Yaml = { retry_on: 'connect-failure,reset-before-request', num_retries: 1 };

function backendClusterName(b: Policy['backends'][number]): string {
  return b.cluster ?? b.name;
}

function jsonError(type: string, code: string, message: string): Yaml {
  return { error: { message, type, code } };
}

/** The route taken once the sidecar has named the upstream (by header). */
export function routedRoute(mode: Policy['envoy']['mode']): Yaml {
  return mode === 'original_dst'
    ? {
        match: { prefix: '/', headers: [{ name: ENDPOINT_HEADER, present_match: true }] },
        route: { cluster: ORIGINAL_DST_CLUSTER, timeout: '0s', retry_policy: RESET_BEFORE_REQUEST_RETRY },
      }
    : {
        match: { prefix: '/', headers: [{ name: CLUSTER_HEADER, present_match: true }] },
        route: { cluster_header: CLUSTER_HEADER, timeout: '0s', retry_policy: RESET_BEFORE_REQUEST_RETRY },
      };
}

/** The routes that carry routed traffic, in match order (the default route is not among them). */
export function decidedRoutes(policy: Policy): Yaml[] {
  const routed = routedRoute(policy.envoy.mode);
  return [...(policy.envoy.observe_responses ? [responsesRoute(routed)] : []), routed];
}

export function renderEnvoyConfig(policy: Policy): string {
  // Endpoint-picker mode: Envoy stands in for an Inference Extension gateway.
  if (policy.envoy.mode === 'epp') return renderGatewayConfig(policy);
  const mode = policy.envoy.mode;
  const failOpen = policy.envoy.failure_mode === 'open';
  const fallback = policy.envoy.fallback_backend ? policy.backends.find((b) => b.name === policy.envoy.fallback_backend) : undefined;
  const defaultRoutes = noDecisionRoutes(policy, failOpen && fallback ? (mode === 'original_dst' ? 'warmroute_fallback' : backendClusterName(fallback)) : undefined);

  const responseHeaders = policy.debug.decision_headers
    ? ['backend', 'reason', 'queued_ms'].map((k) => ({
        header: { key: `x-warmroute-${k.replace('_', '-')}`, value: `%DYNAMIC_METADATA(${METADATA_NAMESPACE}:${k})%` },
        keep_empty_value: false,
      }))
    : [];

  const hcm: Yaml = {
    '@type': 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
    stat_prefix: 'warmroute',
    // Generations run for minutes and queued requests send nothing while they wait.
    stream_idle_timeout: `${Math.max(300, Math.ceil(policy.scheduler.queue.timeout_ms / 1000) + 60)}s`,
    request_timeout: '0s',
    // A client must never pick the backend: drop any copy of the routing
    // headers before Envoy picks (and caches) a route, so even a fail-open
    // request with the sidecar down cannot steer traffic.
    early_header_mutation_extensions: [stripRoutingHeaders()],
    route_config: {
      name: 'warmroute',
      virtual_hosts: [{ name: 'llm', domains: ['*'], routes: [...decidedRoutes(policy), ...defaultRoutes], ...(responseHeaders.length ? { response_headers_to_add: responseHeaders } : {}) }],
    },
    http_filters: [...warmrouteFilters(policy), { name: 'envoy.filters.http.router', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router' } }],
    // Envoy's own local replies (sidecar unreachable, body too large, upstream
    // connect failure) get the same OpenAI-style JSON body as the sidecar's.
    // The sidecar's replies carry details "warmroute_*" and are left alone.
    local_reply_config: { mappers: localReplyMappers(policy) },
  };

  const clusters: Yaml[] = sidecarClusters(policy);
  if (mode === 'original_dst') {
    clusters.push({
      name: ORIGINAL_DST_CLUSTER,
      type: 'ORIGINAL_DST',
      lb_policy: 'CLUSTER_PROVIDED',
      connect_timeout: '5s',
      original_dst_lb_config: { use_http_header: true, http_header_name: ENDPOINT_HEADER },
      circuit_breakers: backendCircuitBreakers(policy),
    });
    if (failOpen && fallback) clusters.push(staticCluster('warmroute_fallback', fallback.url, policy));
  } else {
    for (const b of policy.backends) clusters.push(staticCluster(backendClusterName(b), b.url, policy));
  }

  const bootstrap = listenerBootstrap(policy, 'warmroute', hcm, clusters);
  const text = `# Generated by warmroute from a policy (sidecar/envoy/config.ts). Mode: ${mode}.\n` + stringify(bootstrap, { lineWidth: 0, aliasDuplicateObjects: false });
  const replicas = policy.sidecar.replicas;
  return replicas.length ? withSidecarReplicas(text, [`${policy.sidecar.host}:${policy.sidecar.grpc_port}`, ...replicas]) : text;
}

/** warmroute's HTTP filters, in order; they go just before the router. */
export function warmrouteFilters(policy: Policy): Yaml[] {
  return [routingFilter(policy), ...(policy.envoy.observe_responses ? [observeFilter()] : [])];
}

/** HCM early header mutation dropping client-sent routing headers before any route is picked. */
export function stripRoutingHeaders(): Yaml {
  return {
    name: 'envoy.http.early_header_mutation.header_mutation',
    typed_config: {
      '@type': 'type.googleapis.com/envoy.extensions.http.early_header_mutation.header_mutation.v3.HeaderMutation',
      mutations: ROUTING_HEADERS.map((h) => ({ remove: h })),
    },
  };
}

/**
 * The routing filter. `failure_mode_allow: true` is what lets a request
 * outlive the sidecar: once the sidecar has answered the body with its
 * routing header, the stream stays open only as a completion signal, and
 * losing it (crash, restart, upgrade) must not reset a generation that is
 * running fine. Envoy then ignores the stream error and the exchange goes on.
 * A request the sidecar has not routed yet (waiting in its queue, or arriving
 * while it is down) continues without a routing header and falls through to
 * the no-decision routes: fail-closed it still gets a 503 JSON answer.
 */
export function routingFilter(policy: Policy): Yaml {
  return {
    name: 'envoy.filters.http.ext_proc',
    typed_config: {
      '@type': 'type.googleapis.com/envoy.extensions.filters.http.ext_proc.v3.ExternalProcessor',
      grpc_service: { envoy_grpc: { cluster_name: SIDECAR_CLUSTER } },
      processing_mode: {
        request_header_mode: 'SEND',
        request_body_mode: 'BUFFERED',
        // The response's status and Envoy's reason for it come back on the same
        // stream (one more message), not on a second stream per request: a 5xx
        // is evidence against the backend, the first answer says a cold model is warm.
        response_header_mode: policy.envoy.observe_responses ? 'SEND' : 'SKIP',
        response_body_mode: 'NONE',
        request_trailer_mode: 'SKIP',
        response_trailer_mode: 'SKIP',
      },
      ...(policy.envoy.observe_responses ? { response_attributes: [CODE_DETAILS_ATTRIBUTE] } : {}),
      message_timeout: `${MESSAGE_TIMEOUT_S}s`,
      max_message_timeout: `${MAX_MESSAGE_TIMEOUT_S}s`,
      failure_mode_allow: true,
      route_cache_action: 'CLEAR',
      metadata_options: { receiving_namespaces: { untyped: [METADATA_NAMESPACE] } },
    },
  };
}

/**
 * Routes for a request that carries no routing decision (the sidecar is down,
 * unreachable, or failed before deciding): the fallback backend's cluster when
 * fail-open names one, else a JSON 503 with Retry-After, in Anthropic's shape
 * on /v1/messages. Fail-open without a fallback says so in its code.
 */
export function noDecisionRoutes(policy: Policy, fallbackCluster: string | undefined): Yaml[] {
  if (fallbackCluster) return [{ match: { prefix: '/' }, route: { cluster: fallbackCluster, timeout: '0s', retry_policy: RESET_BEFORE_REQUEST_RETRY } }];
  const [code, message] =
    policy.envoy.failure_mode === 'open'
      ? ['no_route_decision', 'The router made no routing decision for this request.']
      : ['router_unavailable', 'The routing sidecar is unavailable; no routing decision was made for this request.'];
  const body = jsonError('server_error', code, message);
  const reply = (prefix: string, json: Yaml): Yaml => ({
    match: { prefix },
    direct_response: { status: 503, body: { inline_string: JSON.stringify(json) } },
    response_headers_to_add: [{ header: { key: 'content-type', value: 'application/json' } }, { header: { key: 'retry-after', value: '1' } }],
  });
  return [reply('/v1/messages', { type: 'error', ...body }), reply('/', body)];
}

/**
 * A cluster that reaches the sidecar's gRPC port over HTTP/2. The routing and
 * the observing filter each get their own (`name`), so the observer's streams,
 * which linger `deferred_close_timeout` after every exchange, never take
 * capacity from routing. Limits: sidecar/envoy/capacity.ts.
 */
export function sidecarCluster(policy: Policy, name: string): Yaml {
  const cap = sidecarCapacity(policy);
  return {
    name,
    connect_timeout: '1s',
    typed_extension_protocol_options: {
      'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': {
        '@type': 'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions',
        // Envoy ends every ext_proc stream it closes with RST_STREAM, and the
        // sidecar's HTTP/2 server (Node's nghttp2) answers more than 1,000
        // resets on one connection (then 33 a second) with GOAWAY: every
        // stream Envoy had opened past it was refused, a 503 router_unavailable
        // (remote_refused_stream_reset). A fresh connection every
        // MAX_STREAMS_PER_SIDECAR_CONNECTION streams stays under that budget.
        common_http_protocol_options: { max_requests_per_connection: cap.streamsPerConnectionLifetime },
        explicit_http_config: {
          http2_protocol_options: {
            max_concurrent_streams: cap.streamsPerConnection,
            // Envoy's receive windows for the sidecar's answers (a rewritten body
            // is at most max_body_bytes): one answer never waits on a window update.
            initial_stream_window_size: windowSize(policy.envoy.max_body_bytes + 64 * 1024),
            initial_connection_window_size: windowSize(4 * (policy.envoy.max_body_bytes + 64 * 1024)),
          },
        },
      },
    },
    circuit_breakers: {
      thresholds: [
        {
          priority: 'DEFAULT',
          max_connections: cap.connections,
          max_pending_requests: cap.streams,
          max_requests: cap.streams,
          // ext_proc streams are never retried; the breaker still needs a value.
          max_retries: 3,
          track_remaining: true,
        },
      ],
    },
    type: isIpLiteral(policy.sidecar.host) ? 'STATIC' : 'STRICT_DNS',
    load_assignment: { cluster_name: name, endpoints: [{ lb_endpoints: [{ endpoint: { address: socket(policy.sidecar.host, policy.sidecar.grpc_port) } }] }] },
  };
}

/** The sidecar clusters the filters of warmrouteFilters(policy) call. */
export function sidecarClusters(policy: Policy): Yaml[] {
  return [sidecarCluster(policy, SIDECAR_CLUSTER), ...(policy.envoy.observe_responses ? [sidecarCluster(policy, OBSERVE_CLUSTER)] : [])];
}

/** HTTP/2 windows must lie in [65535, 2^31-1]. */
function windowSize(bytes: number): number {
  return Math.min(2 ** 31 - 1, Math.max(65_535, bytes));
}

/**
 * Envoy's own local replies (sidecar unreachable, body too large, upstream
 * connect failure) get the same JSON error body as the sidecar's, in
 * Anthropic's shape on /v1/messages. The sidecar's replies carry details
 * "warmroute_*" and route direct responses "direct_response": both are left alone.
 */
export function localReplyMappers(policy: Policy): Yaml[] {
  const cases: Array<[string, string, string, string]> = [
    ['response.code == 413', 'request_too_large', 'request_too_large', `Request body exceeds the gateway limit of ${policy.envoy.max_body_bytes} bytes.`],
    ['response.code_details.startsWith("ext_proc_error")', 'server_error', 'router_unavailable', 'The routing sidecar is unavailable (%RESPONSE_CODE_DETAILS%).'],
    [
      '!response.code_details.startsWith("warmroute") && response.code_details != "direct_response" && response.code >= 500',
      'server_error',
      'upstream_error',
      'The gateway could not complete the request (%RESPONSE_CODE_DETAILS%).',
    ],
  ];
  const anthropic = 'request.path.startsWith("/v1/messages")';
  return [
    ...cases.map(([cel, type, code, msg]) => localReplyMapper(`${anthropic} && (${cel})`, type, code, msg, true)),
    ...cases.map(([cel, type, code, msg]) => localReplyMapper(cel, type, code, msg, false)),
  ];
}

function localReplyMapper(cel: string, type: string, code: string, message: string, anthropic: boolean): Yaml {
  const body = jsonError(type, code, message);
  return {
    filter: {
      extension_filter: {
        name: 'envoy.access_loggers.extension_filters.cel',
        typed_config: { '@type': 'type.googleapis.com/envoy.extensions.access_loggers.filters.cel.v3.ExpressionFilter', expression: cel },
      },
    },
    body_format_override: { json_format: anthropic ? { type: 'error', ...body } : body, content_type: 'application/json' },
  };
}

/**
 * Limits on a backend cluster. Envoy's defaults (1,024 requests, connections
 * and pending requests per cluster) would refuse requests the sidecar already
 * admitted (it bounds each backend by its slots; fail-open sends everything to
 * the fallback), so they get the same limits as the sidecar clusters.
 */
export function backendCircuitBreakers(policy: Policy): Yaml {
  const cap = sidecarCapacity(policy);
  return { thresholds: [{ priority: 'DEFAULT', max_connections: cap.streams, max_pending_requests: cap.streams, max_requests: cap.streams, max_retries: cap.streams, track_remaining: true }] };
}

export function staticCluster(name: string, url: string, policy: Policy): Yaml {
  const u = new URL(url);
  const isIp = isIpLiteral(u.hostname);
  const port = Number(u.port || (u.protocol === 'https:' ? 443 : 80));
  return {
    name,
    type: isIp ? 'STATIC' : 'STRICT_DNS',
    connect_timeout: '5s',
    circuit_breakers: backendCircuitBreakers(policy),
    load_assignment: { cluster_name: name, endpoints: [{ lb_endpoints: [{ endpoint: { address: socket(u.hostname.replace(/^\[|\]$/g, ''), port) } }] }] },
  };
}

function isIpLiteral(host: string): boolean {
  return /^[\d.]+$/.test(host) || host.includes(':');
}

/**
 * /v1/responses answers carry the id a later request names in
 * previous_response_id, and only the backend that stored it can serve that
 * request. On this route, and only here, the observing filter sees the
 * response body (send-and-go, so nothing waits), and the sidecar learns which
 * backend holds each response id.
 */
function responsesRoute(route: Yaml): Yaml {
  const match = route.match as Yaml;
  return {
    ...route,
    match: { ...match, prefix: undefined, path: '/v1/responses' },
    typed_per_filter_config: {
      [OBSERVE_FILTER]: {
        '@type': 'type.googleapis.com/envoy.extensions.filters.http.ext_proc.v3.ExtProcPerRoute',
        overrides: { processing_mode: { ...OBSERVE_MODE, response_body_mode: 'STREAMED' } },
      },
    },
  };
}

// Everywhere but /v1/responses the observing filter asks for nothing, so it
// never opens a stream (statuses reach the routing stream).
const OBSERVE_NOTHING = {
  request_header_mode: 'SKIP',
  request_body_mode: 'NONE',
  response_header_mode: 'SKIP',
  response_body_mode: 'NONE',
  request_trailer_mode: 'SKIP',
  response_trailer_mode: 'SKIP',
};

// On /v1/responses: request headers are skipped, the routing filter's dynamic
// metadata (forwarded below) tells which backend stored the response.
const OBSERVE_MODE = {
  request_header_mode: 'SKIP',
  request_body_mode: 'NONE',
  response_header_mode: 'SEND',
  response_body_mode: 'NONE',
  request_trailer_mode: 'SKIP',
  response_trailer_mode: 'SKIP',
};

/**
 * The CEL attribute the routing filter receives with response headers: Envoy's
 * reason for the status (refused connection, reset, the server's own answer);
 * only a refused connection marks a backend down at once.
 */
export const CODE_DETAILS_ATTRIBUTE = 'response.code_details';

/** The observing filter's name, the key of its per-route config. */
export const OBSERVE_FILTER = 'warmroute.observe';

function observeFilter(): Yaml {
  return {
    // Reads /v1/responses bodies for their response ids without touching the
    // data path (observability mode: "send and go", nothing waits for the
    // sidecar).
    name: OBSERVE_FILTER,
    typed_config: {
      '@type': 'type.googleapis.com/envoy.extensions.filters.http.ext_proc.v3.ExternalProcessor',
      grpc_service: { envoy_grpc: { cluster_name: OBSERVE_CLUSTER } },
      observability_mode: true,
      processing_mode: OBSERVE_NOTHING,
      metadata_options: { forwarding_namespaces: { untyped: [METADATA_NAMESPACE] } },
      failure_mode_allow: true,
      deferred_close_timeout: '1s',
    },
  };
}
