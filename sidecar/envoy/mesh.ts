// Renders the Istio resources that add warmroute to an existing mesh: a
// ServiceEntry per machine outside the cluster, and EnvoyFilters that put the
// routing and observing ext_proc filters, the sidecar's cluster and the
// header-routed routes into an ingress gateway or into the sidecar of a
// client workload. The filters, routes and cluster come from the same
// builders as envoy/*.yaml (config.ts), so the two cannot drift.
import { stringify } from 'yaml';
import { z } from 'zod';
import type { Policy } from '../policy/schema.ts';
import { decidedRoutes, localReplyMappers, noDecisionRoutes, sidecarClusters, stripRoutingHeaders, warmrouteFilters, type Yaml } from './config.ts';
import { renderKubernetes, sidecarService } from './mesh-kubernetes.ts';

export const MeshOptions = z.strictObject({
  host: z.string().min(1).optional().describe('Host clients use: the gateway host (default llm.example.com), or (sidecar variant) the client-facing Service, NAME.NAMESPACE.svc.cluster.local (default llm.WORKLOAD_NAMESPACE.svc.cluster.local).'),
  gateway_port: z.number().int().min(1).max(65535).default(80).describe('Port of the Gateway server (ingress variant) or of the client-facing service (sidecar variant).'),
  gateway_namespace: z.string().min(1).default('istio-system').describe('Namespace of the ingress gateway deployment.'),
  gateway_selector: z.record(z.string(), z.string()).default({ istio: 'ingressgateway' }).describe('Labels of the ingress gateway pods.'),
  workload_namespace: z.string().min(1).default('agents').describe('Sidecar variant: namespace of the client workload.'),
  workload_selector: z.record(z.string(), z.string()).default({ app: 'agent' }).describe('Sidecar variant: labels of the client pods whose sidecars route.'),
  image: z.string().min(1).default('warmroute:0.1.0').describe('The sidecar image built from the Dockerfile.'),
});
export type MeshOptions = z.infer<typeof MeshOptions>;
export type MeshOptionsInput = z.input<typeof MeshOptions>;

export class MeshConfigError extends Error {}

const HCM = 'envoy.filters.network.http_connection_manager';
const HCM_TYPE = 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';
const ROUTER = 'envoy.filters.http.router';
/** The routing ext_proc filter's name inside a mesh proxy. */
export const ROUTING_FILTER = 'warmroute.route';
const EXT_PROC_PER_ROUTE = 'type.googleapis.com/envoy.extensions.filters.http.ext_proc.v3.ExtProcPerRoute';
const ISTIO_NETWORKING = 'networking.istio.io/v1';

/** Hosts Kubernetes already knows: no ServiceEntry for them. */
function inCluster(host: string): boolean {
  return /\.svc(\.cluster\.local)?$/.test(host);
}

function isIp(host: string): boolean {
  return /^[\d.]+$/.test(host) || host.includes(':');
}

interface Upstream {
  backend: string;
  /** The ServiceEntry host (a made-up name for a bare IP). */
  host: string;
  port: number;
  ip?: string;
}

/** A backend name as a DNS label (backend names may hold capitals, `_` and `.`). */
function dnsLabel(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9-]/g, '-').replace(/^-+|-+$/g, '');
}

function upstream(b: Policy['backends'][number]): Upstream {
  const u = new URL(b.url);
  const port = Number(u.port || (u.protocol === 'https:' ? 443 : 80));
  const hostname = u.hostname.replace(/^\[|\]$/g, '');
  return isIp(hostname) ? { backend: b.name, host: `${dnsLabel(b.name)}.warmroute.internal`, port, ip: hostname } : { backend: b.name, host: hostname, port };
}

/** The name Istio gives the cluster of a service port; the sidecar puts it in x-warmroute-cluster. */
export function istioClusterName(b: Policy['backends'][number]): string {
  const u = upstream(b);
  return `outbound|${u.port}||${u.host}`;
}

/** What the policy must say so the sidecar names Istio's clusters; throws with the exact lines otherwise. */
export function checkMeshPolicy(policy: Policy): void {
  const problems: string[] = [];
  if (policy.envoy.mode !== 'cluster_header') problems.push(`envoy.mode must be cluster_header (Istio owns the clusters), not ${policy.envoy.mode}`);
  for (const b of policy.backends) {
    const want = istioClusterName(b);
    if (b.cluster !== want) problems.push(`backend ${b.name}: set  cluster: "${want}"  (Istio's cluster for ${b.url})`);
  }
  sidecarService(policy, problems);
  if (problems.length) throw new MeshConfigError(`policy is not ready for Istio:\n  ${problems.join('\n  ')}`);
}

/** One ServiceEntry per machine outside the cluster (MESH_EXTERNAL), so the mesh has a cluster for it. */
export function serviceEntries(policy: Policy): Yaml[] {
  const ns = sidecarService(policy, []).namespace;
  return policy.backends
    .map(upstream)
    .filter((u) => !inCluster(u.host))
    .map((u) => ({
      apiVersion: ISTIO_NETWORKING,
      kind: 'ServiceEntry',
      metadata: { name: `warmroute-${dnsLabel(u.backend)}`, namespace: ns, labels: { 'app.kubernetes.io/part-of': 'warmroute' } },
      spec: {
        hosts: [u.host],
        location: 'MESH_EXTERNAL',
        ports: [{ number: u.port, name: `http-${u.port}`, protocol: 'HTTP' }],
        ...(u.ip ? { resolution: 'STATIC', endpoints: [{ address: u.ip }] } : { resolution: 'DNS' }),
      },
    }));
}

export type MeshTarget = 'gateway' | 'sidecar';

/** The LLM host of a variant. */
function hostOf(target: MeshTarget, o: MeshOptions): string {
  return o.host ?? (target === 'gateway' ? 'llm.example.com' : `llm.${o.workload_namespace}.svc.cluster.local`);
}

/** Which proxies a variant patches, and the virtual host (Istio names it HOST:PORT) that carries LLM traffic. */
function targetOf(target: MeshTarget, o: MeshOptions): { context: string; namespace: string; selector: Record<string, string>; vhost: string } {
  const vhost = `${hostOf(target, o)}:${o.gateway_port}`;
  return target === 'gateway'
    ? { context: 'GATEWAY', namespace: o.gateway_namespace, selector: o.gateway_selector, vhost }
    : { context: 'SIDECAR_OUTBOUND', namespace: o.workload_namespace, selector: o.workload_selector, vhost };
}

/**
 * The EnvoyFilter. The filters go into every HTTP connection manager of the
 * selected proxies but disabled; the LLM virtual host enables them, so other
 * hosts on a shared gateway never reach the sidecar. Patches apply in order:
 * the routing filter is inserted before the router first, then the observer
 * (also before the router, so after the routing filter).
 */
export function envoyFilter(policy: Policy, target: MeshTarget, o: MeshOptions): Yaml {
  const t = targetOf(target, o);
  const hcmMatch = { context: t.context, listener: { filterChain: { filter: { name: HCM } } } };
  const routerMatch = { context: t.context, listener: { filterChain: { filter: { name: HCM, subFilter: { name: ROUTER } } } } };
  const vhostMatch = { context: t.context, routeConfiguration: { vhost: { name: t.vhost } } };
  // A mesh proxy may already run an ext_proc filter under Envoy's default name (an Inference Extension gateway does).
  const filters = warmrouteFilters(policy).map((f) => (f.name === 'envoy.filters.http.ext_proc' ? { ...f, name: ROUTING_FILTER } : f));
  // Reversed: each INSERT_FIRST lands ahead of the previous one.
  const routes = [...decidedRoutes(policy)].reverse();
  return {
    apiVersion: 'networking.istio.io/v1alpha3',
    kind: 'EnvoyFilter',
    metadata: { name: `warmroute-${target}`, namespace: t.namespace, labels: { 'app.kubernetes.io/part-of': 'warmroute' } },
    spec: {
      workloadSelector: { labels: t.selector },
      configPatches: [
        // The routing filter buffers whole request bodies; Envoy's default 1 MiB per-connection limit would 413 long conversations.
        { applyTo: 'LISTENER', match: hcmMatch, patch: { operation: 'MERGE', value: { per_connection_buffer_limit_bytes: policy.envoy.max_body_bytes } } },
        // A client must never pick the backend: drop its copies of the routing headers before any route is chosen.
        // Envoy's own local replies on the LLM host (body too large, upstream failure) get the JSON bodies of envoy/*.yaml.
        {
          applyTo: 'NETWORK_FILTER',
          match: hcmMatch,
          patch: {
            operation: 'MERGE',
            value: { name: HCM, typed_config: { '@type': HCM_TYPE, early_header_mutation_extensions: [stripRoutingHeaders()], local_reply_config: { mappers: onVirtualHost(localReplyMappers(policy), t.vhost) } } },
          },
        },
        ...filters.map((f) => ({ applyTo: 'HTTP_FILTER', match: routerMatch, patch: { operation: 'INSERT_BEFORE', value: { ...f, disabled: true } } })),
        ...sidecarClusters(policy).map((c) => ({ applyTo: 'CLUSTER', match: { context: t.context }, patch: { operation: 'ADD', value: c } })),
        { applyTo: 'VIRTUAL_HOST', match: vhostMatch, patch: { operation: 'MERGE', value: { typed_per_filter_config: enableOn(filters) } } },
        ...routes.map((r, i) => ({ applyTo: 'HTTP_ROUTE', match: vhostMatch, patch: { operation: 'INSERT_FIRST', value: { name: `warmroute-${routes.length - 1 - i}`, ...r } } })),
      ],
    },
  };
}

/**
 * Local reply mappers are per connection manager, shared by every host on a
 * mesh proxy: each one is narrowed to the LLM virtual host, so other
 * applications' errors keep their own format.
 */
function onVirtualHost(mappers: Yaml[], vhost: string): Yaml[] {
  return mappers.map((m) => {
    const mapper = structuredClone(m) as { filter: { extension_filter: { typed_config: { expression: string } } } };
    const tc = mapper.filter.extension_filter.typed_config;
    tc.expression = `xds.virtual_host_name == ${JSON.stringify(vhost)} && (${tc.expression})`;
    return mapper as unknown as Yaml;
  });
}

/** Per-filter config that switches the (disabled by default) warmroute filters on for a virtual host. */
function enableOn(filters: Yaml[]): Yaml {
  return Object.fromEntries(filters.map((f) => [f.name as string, { '@type': EXT_PROC_PER_ROUTE, overrides: {} }]));
}

/**
 * envoy/*.yaml's no-decision routes as Istio HTTP routes: the fallback
 * backend (fail-open with a fallback) or the JSON 503 direct responses.
 */
function noDecisionHttp(policy: Policy): Yaml[] {
  const fallback = policy.envoy.failure_mode === 'open' ? policy.backends.find((b) => b.name === policy.envoy.fallback_backend) : undefined;
  const routes = noDecisionRoutes(policy, fallback ? istioClusterName(fallback) : undefined);
  return routes.map((r, i) => {
    const prefix = (r.match as { prefix: string }).prefix;
    const name = `no-decision-${i}`;
    if (fallback) {
      const u = upstream(fallback);
      return { name, match: [{ uri: { prefix } }], route: [{ destination: { host: u.host, port: { number: u.port } } }], timeout: '0s' };
    }
    const dr = r.direct_response as { status: number; body: { inline_string: string } };
    const headers = (r.response_headers_to_add as Array<{ header: { key: string; value: string } }>).map((h) => [h.header.key, h.header.value]);
    return { name, match: [{ uri: { prefix } }], directResponse: { status: dr.status, body: { string: dr.body.inline_string } }, headers: { response: { set: Object.fromEntries(headers) } } };
  });
}

/**
 * Istio routes for the LLM host. Requests that carry the sidecar's decision
 * take the patched-in routes first; anything else reaches these, the same
 * no-decision routes as envoy/*.yaml's.
 */
export function virtualService(policy: Policy, target: MeshTarget, o: MeshOptions, namespace: string): Yaml {
  return {
    apiVersion: ISTIO_NETWORKING,
    kind: 'VirtualService',
    metadata: { name: `warmroute-${target}`, namespace: target === 'gateway' ? namespace : o.workload_namespace, labels: { 'app.kubernetes.io/part-of': 'warmroute' } },
    spec: {
      hosts: [hostOf(target, o)],
      gateways: target === 'gateway' ? [`${namespace}/warmroute`] : ['mesh'],
      http: noDecisionHttp(policy),
    },
  };
}

/** The ingress Gateway server for the LLM host. */
export function gateway(o: MeshOptions, namespace: string): Yaml {
  return {
    apiVersion: ISTIO_NETWORKING,
    kind: 'Gateway',
    metadata: { name: 'warmroute', namespace, labels: { 'app.kubernetes.io/part-of': 'warmroute' } },
    spec: { selector: o.gateway_selector, servers: [{ port: { number: o.gateway_port, name: 'http-llm', protocol: 'HTTP' }, hosts: [hostOf('gateway', o)] }] },
  };
}

/**
 * Sidecar variant: the name client pods call. A Service without a selector
 * gives the host a cluster IP and Istio an outbound virtual host; traffic
 * never reaches its (absent) endpoints, because the client's own sidecar
 * routes it by the warmroute decision.
 */
export function clientService(o: MeshOptions): Yaml {
  const host = hostOf('sidecar', o);
  const name = host.split('.')[0] ?? host;
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: o.workload_namespace, labels: { 'app.kubernetes.io/part-of': 'warmroute' } },
    spec: { ports: [{ name: 'http', port: o.gateway_port, protocol: 'TCP', appProtocol: 'http' }] },
  };
}

/** Every Istio resource of one variant, in apply order. */
export function renderIstio(policy: Policy, target: MeshTarget, opts: MeshOptionsInput = {}): Yaml[] {
  checkMeshPolicy(policy);
  const o = MeshOptions.parse(opts);
  const host = hostOf(target, o);
  if (target === 'sidecar' && !new RegExp(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?\\.${o.workload_namespace}\\.svc\\.cluster\\.local$`).test(host))
    throw new MeshConfigError(`sidecar variant: --host must be NAME.${o.workload_namespace}.svc.cluster.local (the client-facing Service), not ${host}`);
  const ns = sidecarService(policy, []).namespace;
  return [
    ...serviceEntries(policy),
    ...(target === 'gateway' ? [gateway(o, ns)] : [clientService(o)]),
    virtualService(policy, target, o, ns),
    envoyFilter(policy, target, o),
  ];
}

export type MeshOutput = MeshTarget | 'kubernetes';

/** The multi-document YAML `warmroute mesh-config` prints for one output. */
export function renderMesh(policy: Policy, policyText: string, output: MeshOutput, opts: MeshOptionsInput = {}): string {
  const docs = output === 'kubernetes' ? renderKubernetes(policy, policyText, MeshOptions.parse(opts).image) : renderIstio(policy, output, opts);
  const what = output === 'kubernetes' ? 'the sidecar as a Deployment + Service, its policy in a ConfigMap' : output === 'gateway' ? 'warmroute in an Istio ingress gateway' : 'warmroute in the Istio sidecars of a client workload';
  return `# Generated by \`warmroute mesh-config --output ${output}\` (sidecar/envoy/mesh.ts): ${what}.\n` + docs.map((d) => stringify(d, { lineWidth: 0, aliasDuplicateObjects: false })).join('---\n');
}
