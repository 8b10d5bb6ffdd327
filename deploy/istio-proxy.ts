// A static Envoy bootstrap shaped like the config istiod pushes to an ingress
// gateway or to a client pod's sidecar, built from the rendered Istio objects
// (Gateway / Service, VirtualService, ServiceEntries) the way Istio names
// things: listener 0.0.0.0_PORT, route config http.PORT (gateway) or PORT
// (sidecar), virtual hosts HOST:PORT, clusters outbound|PORT||HOST. An
// unrelated host shares the listener, as on a real shared gateway. The
// EnvoyFilter patches are then applied to it (envoyfilter.ts).
import type { Policy } from '../sidecar/policy/schema.ts';
import { istioClusterName } from '../sidecar/envoy/mesh.ts';

type Obj = Record<string, unknown>;

export interface ProxyShape {
  context: 'GATEWAY' | 'SIDECAR_OUTBOUND';
  listenHost: string;
  listenPort: number;
  adminPort: number;
  /** The unrelated host on the same listener and its upstream. */
  other: { host: string; cluster: string; address: string; port: number };
  /** Stand-in for cluster DNS: hostnames → addresses reachable here. */
  resolve?: Record<string, string>;
}

const find = (docs: Obj[], kind: string): Obj[] => docs.filter((d) => d.kind === kind);
const spec = (d: Obj): Obj => d.spec as Obj;

function cluster(name: string, address: string, port: number, resolve: Record<string, string>): Obj {
  const mapped = resolve[address] ?? address;
  const isIp = /^[\d.]+$/.test(mapped) || mapped.includes(':');
  return {
    name,
    type: isIp ? 'STATIC' : 'STRICT_DNS',
    connect_timeout: '10s',
    load_assignment: { cluster_name: name, endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: mapped, port_value: port } } } }] }] },
  };
}

/** Istio's clusters for the backends: one per ServiceEntry port, and Kubernetes Services for in-cluster hosts. */
function backendClusters(docs: Obj[], policy: Policy, resolve: Record<string, string>): Obj[] {
  const out = new Map<string, Obj>();
  for (const se of find(docs, 'ServiceEntry')) {
    const s = spec(se);
    const host = (s.hosts as string[])[0]!;
    for (const p of s.ports as Array<{ number: number }>) {
      const endpoints = s.endpoints as Array<{ address: string }> | undefined;
      out.set(`outbound|${p.number}||${host}`, cluster(`outbound|${p.number}||${host}`, endpoints?.[0]?.address ?? host, p.number, resolve));
    }
  }
  for (const b of policy.backends) {
    const name = istioClusterName(b);
    const u = new URL(b.url);
    if (!out.has(name) && /\.svc(\.cluster\.local)?$/.test(u.hostname)) out.set(name, cluster(name, u.hostname, Number(u.port || 80), resolve));
  }
  return [...out.values()];
}

/** What Istio makes of a VirtualService's HTTP routes (the subset warmroute renders: prefix matches, direct responses, one destination). */
function routesOf(vs: Obj): Obj[] {
  return (spec(vs).http as Obj[]).map((h) => {
    const prefix = ((h.match as Array<{ uri?: { prefix?: string } }> | undefined)?.[0]?.uri?.prefix) ?? '/';
    const dr = h.directResponse as { status: number; body?: { string?: string } } | undefined;
    const dest = (h.route as Array<{ destination: { host: string; port: { number: number } } }> | undefined)?.[0]?.destination;
    if (!dr && !dest) throw new Error('only directResponse or single-destination VirtualService routes are modelled');
    const set = ((h.headers as Obj | undefined)?.response as Obj | undefined)?.set as Record<string, string> | undefined;
    return {
      name: h.name,
      match: { prefix },
      ...(dr
        ? { direct_response: { status: dr.status, ...(dr.body?.string ? { body: { inline_string: dr.body.string } } : {}) } }
        : { route: { cluster: `outbound|${dest!.port.number}||${dest!.host}`, timeout: (h.timeout as string | undefined) ?? '0s' } }),
      ...(set ? { response_headers_to_add: Object.entries(set).map(([key, value]) => ({ header: { key, value }, append_action: 'OVERWRITE_IF_EXISTS_OR_ADD' })) } : {}),
    };
  });
}

export function istioProxyBootstrap(docs: Obj[], policy: Policy, shape: ProxyShape): Obj {
  const resolve = shape.resolve ?? {};
  const vs = find(docs, 'VirtualService')[0]!;
  const host = (spec(vs).hosts as string[])[0]!;
  const port =
    shape.context === 'GATEWAY'
      ? ((spec(find(docs, 'Gateway')[0]!).servers as Array<{ port: { number: number } }>)[0]!.port.number)
      : ((spec(find(docs, 'Service')[0]!).ports as Array<{ port: number }>)[0]!.port);
  const domains = (h: string) => [h, `${h}:*`, ...(shape.context === 'SIDECAR_OUTBOUND' ? [h.split('.')[0]!] : [])];
  const hcm: Obj = {
    '@type': 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
    stat_prefix: `outbound_0.0.0.0_${shape.listenPort}`,
    use_remote_address: shape.context === 'GATEWAY',
    normalize_path: true,
    merge_slashes: true,
    path_with_escaped_slashes_action: 'KEEP_UNCHANGED',
    upgrade_configs: [{ upgrade_type: 'websocket' }],
    route_config: {
      name: shape.context === 'GATEWAY' ? `http.${shape.listenPort}` : String(port),
      validate_clusters: false,
      virtual_hosts: [
        { name: `${host}:${port}`, domains: domains(host), routes: routesOf(vs), include_request_attempt_count: true },
        { name: `${shape.other.host}:${port}`, domains: domains(shape.other.host), routes: [{ name: 'default', match: { prefix: '/' }, route: { cluster: shape.other.cluster, timeout: '0s' } }] },
      ],
    },
    // Istio's own filters that upstream Envoy also has; istio.* (metadata exchange, stats, alpn) are Istio builds only.
    http_filters: [
      { name: 'envoy.filters.http.grpc_stats', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.grpc_stats.v3.FilterConfig', emit_filter_state: true, stats_for_all_methods: false } },
      { name: 'envoy.filters.http.fault', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault' } },
      { name: 'envoy.filters.http.cors', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.cors.v3.Cors' } },
      { name: 'envoy.filters.http.router', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router' } },
    ],
  };
  return {
    admin: { address: { socket_address: { address: '127.0.0.1', port_value: shape.adminPort } } },
    static_resources: {
      listeners: [
        {
          name: `0.0.0.0_${shape.listenPort}`,
          address: { socket_address: { address: shape.listenHost, port_value: shape.listenPort } },
          filter_chains: [{ filters: [{ name: 'envoy.filters.network.http_connection_manager', typed_config: hcm }] }],
        },
      ],
      clusters: [...backendClusters(docs, policy, resolve), cluster(shape.other.cluster, shape.other.address, shape.other.port, resolve)],
    },
  };
}

/** Points every cluster endpoint whose host is in `resolve` at the given address (the test's cluster DNS). */
export function resolveClusters(bootstrap: Obj, resolve: Record<string, string>): void {
  for (const c of ((bootstrap.static_resources as Obj).clusters as Obj[])) {
    for (const e of ((c.load_assignment as Obj | undefined)?.endpoints as Obj[] | undefined) ?? []) {
      for (const lb of e.lb_endpoints as Obj[]) {
        const sa = ((lb.endpoint as Obj).address as Obj).socket_address as Obj;
        const to = resolve[sa.address as string];
        if (to) {
          sa.address = to;
          c.type = 'STATIC';
        }
      }
    }
  }
}
