// Several sidecar replicas behind one Envoy: the ext_proc cluster lists every
// replica, checks each with the gRPC health protocol, and ejects one whose
// connections fail, so new requests go to the live ones. Applied to a
// rendered bootstrap (renderEnvoyConfig or the EPP gateway config) so the
// renderers stay the single source of everything else.
import { parse, stringify } from 'yaml';
import { ROUTING_HEADERS, SIDECAR_CLUSTER } from './config.ts';
import { EXT_PROC_SERVICE } from '../epp/health.ts';

export interface ReplicaOptions {
  /** Active health check period. */
  healthIntervalMs?: number;
}

/** Counts a request's extra passes through the listener after its replica failed before deciding. */
export const REPLICA_RETRY_HEADER = 'x-warmroute-replica-retry';
export const SELF_CLUSTER = 'warmroute_self';

type Yaml = Record<string, unknown>;
interface Cluster {
  name: string;
  type?: string;
  load_assignment?: { endpoints?: Array<{ lb_endpoints?: Array<{ endpoint?: { address?: { socket_address?: { address: string; port_value: number } } } }> }> };
  health_checks?: unknown[];
  outlier_detection?: unknown;
  common_lb_config?: unknown;
}
interface Route {
  match: { prefix?: string; path?: string; headers?: Array<{ name: string; present_match?: boolean }> };
  [k: string]: unknown;
}
interface Bootstrap {
  static_resources: {
    clusters: Cluster[];
    listeners: Array<{ address: { socket_address: { address: string; port_value: number } }; filter_chains: Array<{ filters: Array<{ typed_config: { route_config?: { virtual_hosts: Array<{ routes: Route[] }> } } }> }> }>;
  };
}

/**
 * `replicas`: `host:port` of each sidecar's gRPC port; the first is the one
 * the bootstrap was rendered for. Every cluster that reaches it (routing, and
 * the observer's own cluster where there is one) gets all replicas, gRPC
 * health checks and outlier detection.
 *
 * A request whose replica died before deciding (its stream could not open,
 * or broke while the request waited in that replica's queue) carries no
 * routing decision. Where the bootstrap lets such requests through (the
 * routing filter fails open after its decision), it passes through the
 * listener once more, marked, so the other replica decides it; only a second
 * failure reaches the no-decision answer.
 */
export function withSidecarReplicas(bootstrapYaml: string, replicas: readonly string[], opts: ReplicaOptions = {}): string {
  if (replicas.length === 0) throw new Error('withSidecarReplicas: no replicas');
  const header = bootstrapYaml.startsWith('#') ? bootstrapYaml.slice(0, bootstrapYaml.indexOf('\n') + 1) : '';
  const doc = parse(bootstrapYaml) as Bootstrap;
  const [firstHost, firstPort] = [hostOf(replicas[0]!), portOf(replicas[0]!)];
  const sidecarClusters = doc.static_resources.clusters.filter((c) =>
    (c.load_assignment?.endpoints ?? []).some((e) => (e.lb_endpoints ?? []).some((l) => l.endpoint?.address?.socket_address?.address === firstHost && l.endpoint.address.socket_address.port_value === firstPort)),
  );
  if (!sidecarClusters.some((c) => c.name === SIDECAR_CLUSTER)) throw new Error(`withSidecarReplicas: ${SIDECAR_CLUSTER} does not reach ${replicas[0]}`);
  const interval = `${(opts.healthIntervalMs ?? 1000) / 1000}s`;
  for (const cluster of sidecarClusters) replicate(cluster, replicas, interval);
  // One pass per replica, plus one: an ejection reaches Envoy's worker threads a moment after it happens.
  if (replicas.length > 1) addPasses(doc, replicas.length + 1);
  return header + stringify(doc, { lineWidth: 0, aliasDuplicateObjects: false });
}

function replicate(cluster: Cluster, replicas: readonly string[], interval: string): void {
  cluster.type = replicas.every((r) => isIp(hostOf(r))) ? 'STATIC' : 'STRICT_DNS';
  cluster.load_assignment = {
    cluster_name: cluster.name,
    endpoints: [{ lb_endpoints: replicas.map((r) => ({ endpoint: { address: { socket_address: { address: hostOf(r), port_value: portOf(r) } } } })) }],
  } as Cluster['load_assignment'];
  // A replica that stops answering its health check, or refuses a connection, gets no new streams.
  cluster.health_checks ??= [
    { timeout: '1s', interval, unhealthy_threshold: 1, healthy_threshold: 1, no_traffic_interval: interval, grpc_health_check: { service_name: EXT_PROC_SERVICE } },
  ];
  cluster.outlier_detection ??= { split_external_local_origin_errors: true, consecutive_local_origin_failure: 1, interval, base_ejection_time: '5s', max_ejection_percent: 100 };
  // With every replica marked unhealthy, still try them (the checks may be what is wrong).
  cluster.common_lb_config ??= { healthy_panic_threshold: { value: 1 } };
}

/**
 * Before the no-decision routes: a request without a decision goes round the
 * listener again, up to `passes` more times (each failed connection ejects
 * its replica, so a later pass reaches a live one). The
 * header counts the passes; a client that sends it only gives up its retries.
 */
function addPasses(doc: Bootstrap, passes: number): void {
  const listener = doc.static_resources.listeners[0]!;
  const routes = listener.filter_chains[0]!.filters[0]!.typed_config.route_config!.virtual_hosts[0]!.routes;
  const routed = routes.map((r) => (r.match.headers ?? []).some((h) => ROUTING_HEADERS.includes(h.name as (typeof ROUTING_HEADERS)[number]))).lastIndexOf(true);
  if (routed < 0) throw new Error('withSidecarReplicas: no routed route in the bootstrap');
  const again = (match: Yaml, next: number): Route =>
    ({
      match: { prefix: '/', headers: [{ name: REPLICA_RETRY_HEADER, ...match }] },
      route: { cluster: SELF_CLUSTER, timeout: '0s' },
      request_headers_to_add: [{ header: { key: REPLICA_RETRY_HEADER, value: String(next) }, append_action: 'OVERWRITE_IF_EXISTS_OR_ADD' }],
    }) as Route;
  const passRoutes = [again({ present_match: false }, 1)];
  for (let k = 1; k < passes; k++) passRoutes.push(again({ string_match: { exact: String(k) } }, k + 1));
  routes.splice(routed + 1, 0, ...passRoutes);
  const { address, port_value } = listener.address.socket_address;
  const self = address === '0.0.0.0' ? '127.0.0.1' : address === '::' ? '::1' : address;
  doc.static_resources.clusters.push({
    name: SELF_CLUSTER,
    type: 'STATIC',
    connect_timeout: '1s',
    load_assignment: { cluster_name: SELF_CLUSTER, endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: self, port_value } } } }] }] },
  } as Cluster);
}
function hostOf(hostPort: string): string {
  return hostPort.slice(0, hostPort.lastIndexOf(':')).replace(/^\[|\]$/g, '');
}
function portOf(hostPort: string): number {
  return Number(hostPort.slice(hostPort.lastIndexOf(':') + 1));
}
const isIp = (h: string) => /^[\d.]+$/.test(h) || h.includes(':');
