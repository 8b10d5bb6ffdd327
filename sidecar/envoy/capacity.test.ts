// The capacity rules of the rendered Envoy config: limits come from the policy
// and never undercut what the sidecar admits; routing and observing never
// share a connection; a routed request survives its processor.
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { Policy } from '../policy/schema.ts';
import { heldByPolicy, MAX_STREAMS_PER_SIDECAR_CONNECTION, MIN_SIDECAR_STREAMS, sidecarCapacity } from './capacity.ts';
import { OBSERVE_CLUSTER, renderEnvoyConfig, SIDECAR_CLUSTER } from './config.ts';

type Y = Record<string, any>;
const policy = (extra: Record<string, unknown> = {}): Policy =>
  Policy.parse({ backends: [{ name: 'a', url: 'http://127.0.0.1:9001', slots: 8 }, { name: 'b', url: 'http://127.0.0.1:9002' }], ...extra });
const rendered = (p: Policy): { clusters: Y[]; hcm: Y } => {
  const doc = parse(renderEnvoyConfig(p)) as Y;
  return { clusters: doc.static_resources.clusters, hcm: doc.static_resources.listeners[0].filter_chains[0].filters[0].typed_config };
};

describe('sidecar capacity', () => {
  it('holds the whole queue plus every slot (default slots where the policy names none)', () => {
    expect(heldByPolicy(policy())).toBe(256 + 8 + 4);
  });

  it('never falls below the floor, and grows with a policy that holds more', () => {
    expect(sidecarCapacity(policy()).streams).toBe(MIN_SIDECAR_STREAMS);
    const big = policy({ scheduler: { queue: { max_length: 80_000 } } });
    expect(sidecarCapacity(big).streams).toBeGreaterThanOrEqual(2 * heldByPolicy(big));
  });

  it('keeps every connection under nghttp2’s reset budget of 1,000 streams', () => {
    expect(MAX_STREAMS_PER_SIDECAR_CONNECTION).toBeLessThan(1000);
    const cap = sidecarCapacity(policy());
    // Enough connections for every stream even when each carries its lifetime budget.
    expect(cap.connections * MAX_STREAMS_PER_SIDECAR_CONNECTION).toBeGreaterThanOrEqual(cap.streams);
  });
});

describe('rendered config', () => {
  it('routing and observing filters use two clusters with the same limits', () => {
    const { clusters, hcm } = rendered(policy());
    const grpcClusters = (hcm.http_filters as Y[]).filter((f) => f.typed_config.grpc_service).map((f) => f.typed_config.grpc_service.envoy_grpc.cluster_name);
    expect(grpcClusters).toEqual([SIDECAR_CLUSTER, OBSERVE_CLUSTER]);
    const cap = sidecarCapacity(policy());
    for (const name of grpcClusters) {
      const c = clusters.find((x) => x.name === name)!;
      expect(c.circuit_breakers.thresholds[0]).toMatchObject({ max_requests: cap.streams, max_pending_requests: cap.streams, max_connections: cap.connections });
      const opts = c.typed_extension_protocol_options['envoy.extensions.upstreams.http.v3.HttpProtocolOptions'];
      expect(opts.common_http_protocol_options.max_requests_per_connection).toBe(MAX_STREAMS_PER_SIDECAR_CONNECTION);
    }
  });

  it('without the observer there is no observing cluster', () => {
    const { clusters } = rendered(policy({ envoy: { observe_responses: false } }));
    expect(clusters.map((c) => c.name)).not.toContain(OBSERVE_CLUSTER);
  });

  it('backend clusters admit what the sidecar admits (no 1,024 default)', () => {
    for (const mode of ['original_dst', 'cluster_header'] as const) {
      const p = policy({ envoy: { mode } });
      const backends = rendered(p).clusters.filter((c) => c.name !== SIDECAR_CLUSTER && c.name !== OBSERVE_CLUSTER);
      expect(backends.length).toBeGreaterThan(0);
      for (const c of backends) expect(c.circuit_breakers.thresholds[0].max_requests).toBe(sidecarCapacity(p).streams);
    }
  });

  it('the routing filter tolerates losing the sidecar; undecided requests meet a JSON 503 with Retry-After', () => {
    const { hcm } = rendered(policy());
    expect(hcm.http_filters[0].typed_config.failure_mode_allow).toBe(true);
    const routes = hcm.route_config.virtual_hosts[0].routes as Y[];
    const fallthrough = routes.filter((r) => r.direct_response);
    expect(fallthrough.map((r) => r.match.prefix)).toEqual(['/v1/messages', '/']);
    for (const r of fallthrough) {
      expect(r.direct_response.status).toBe(503);
      const body = JSON.parse(r.direct_response.body.inline_string) as Y;
      expect(body.error.code).toBe('router_unavailable');
      expect(r.response_headers_to_add.map((h: Y) => h.header.key)).toEqual(['content-type', 'retry-after']);
    }
    expect(JSON.parse(fallthrough[0]!.direct_response.body.inline_string).type).toBe('error');
  });

  it('fail-open with a fallback routes undecided requests there', () => {
    const { hcm } = rendered(policy({ envoy: { failure_mode: 'open', fallback_backend: 'a' } }));
    const last = (hcm.route_config.virtual_hosts[0].routes as Y[]).at(-1)!;
    expect(last.route.cluster).toBe('warmroute_fallback');
  });
});
