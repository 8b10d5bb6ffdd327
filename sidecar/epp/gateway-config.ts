// An Envoy bootstrap configured the way Inference Extension gateways configure
// themselves for an endpoint picker, with warmroute as the picker. Two shapes:
//  - `original_dst`: the GIE reference data plane (test/testdata/envoy.yaml):
//    an ORIGINAL_DST cluster that connects to the `x-gateway-destination-endpoint`
//    header's ip:port (the first one; no fallback list);
//  - `override_host`: Envoy Gateway's shape: the pool's endpoints as a cluster
//    whose override_host load balancer takes the picked endpoints from the
//    header or from `envoy.lb` metadata, in order (retries walk the fallback
//    list), and falls back to ordinary balancing when the picker sent none.
// The ext_proc filter sends every phase (FULL_DUPLEX_STREAMED bodies, or
// BUFFERED), and forwards the subset-hint metadata namespace. `warmroute up`
// with `envoy.mode: epp` runs this so the picker can be tried without a cluster.
import { stringify } from 'yaml';
import { listenerBootstrap, socket, type Yaml } from '../envoy/bootstrap.ts';
import type { Policy } from '../policy/schema.ts';
import { DESTINATION_ENDPOINT, DESTINATION_NAMESPACE, SUBSET_KEY, SUBSET_NAMESPACE, UPSTREAM_ADDRESS } from './protocol.ts';


export const EPP_CLUSTER = 'endpoint_picker';
export const POOL_CLUSTER = 'inference_pool';
/**
 * Test stand-in for a gateway's own subsetting: this request header is copied
 * into the subset-hint metadata (as a header_to_metadata rule would).
 */
export const SUBSET_TEST_HEADER = 'x-test-endpoint-subset';

export interface GatewayShape {
  lb: 'original_dst' | 'override_host';
  body: 'FULL_DUPLEX_STREAMED' | 'BUFFERED';
  /** Endpoint pickers (`host:port`); several = replicas behind one cluster. */
  pickers: readonly string[];
  /** Copy SUBSET_TEST_HEADER into the subset hint (tests). */
  subsetFromHeader?: boolean;
}

export function defaultGatewayShape(policy: Policy): GatewayShape {
  return { lb: 'original_dst', body: 'FULL_DUPLEX_STREAMED', pickers: [`${policy.sidecar.host}:${policy.sidecar.grpc_port}`] };
}


function hostPort(s: string): [string, number] {
  const i = s.lastIndexOf(':');
  return [s.slice(0, i).replace(/^\[|\]$/g, ''), Number(s.slice(i + 1))];
}

function endpoints(list: readonly string[]): Yaml[] {
  return [{ lb_endpoints: list.map((a) => ({ endpoint: { address: socket(...hostPort(a)) } })) }];
}

const isIp = (h: string) => /^[\d.]+$/.test(h) || h.includes(':');

export function renderGatewayConfig(policy: Policy, shape: GatewayShape = defaultGatewayShape(policy)): string {
  const body = shape.body;
  const extProc: Yaml = {
    name: 'envoy.filters.http.ext_proc',
    typed_config: {
      '@type': 'type.googleapis.com/envoy.extensions.filters.http.ext_proc.v3.ExternalProcessor',
      grpc_service: { envoy_grpc: { cluster_name: EPP_CLUSTER }, timeout: '10s' },
      processing_mode: {
        request_header_mode: 'SEND',
        response_header_mode: 'SEND',
        request_body_mode: body,
        response_body_mode: body === 'FULL_DUPLEX_STREAMED' ? body : 'NONE',
        request_trailer_mode: body === 'FULL_DUPLEX_STREAMED' ? 'SEND' : 'SKIP',
        response_trailer_mode: body === 'FULL_DUPLEX_STREAMED' ? 'SEND' : 'SKIP',
      },
      message_timeout: `${Math.ceil(policy.scheduler.queue.timeout_ms / 1000) + 10}s`,
      failure_mode_allow: false,
      // Which endpoint answered (after a failover): Envoy does not report the protocol's served-endpoint metadata itself.
      response_attributes: [UPSTREAM_ADDRESS],
      metadata_options: { forwarding_namespaces: { untyped: [SUBSET_NAMESPACE, DESTINATION_NAMESPACE] }, receiving_namespaces: { untyped: [DESTINATION_NAMESPACE, 'warmroute'] } },
    },
  };
  const subsetFilter: Yaml = {
    name: 'envoy.filters.http.header_to_metadata',
    typed_config: {
      '@type': 'type.googleapis.com/envoy.extensions.filters.http.header_to_metadata.v3.Config',
      request_rules: [{ header: SUBSET_TEST_HEADER, on_header_present: { metadata_namespace: SUBSET_NAMESPACE, key: SUBSET_KEY, type: 'STRING' }, remove: true }],
    },
  };
  const route: Yaml = {
    cluster: POOL_CLUSTER,
    timeout: '0s',
    // Retries walk the picked list (override_host) when an endpoint refuses the connection.
    ...(shape.lb === 'override_host' ? { retry_policy: { retry_on: 'connect-failure,reset-before-request', num_retries: 2 } } : {}),
  };
  const hcm: Yaml = {
    '@type': 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
    stat_prefix: 'inference_gateway',
    stream_idle_timeout: '600s',
    request_timeout: '0s',
    // A client must not pick the endpoint itself.
    early_header_mutation_extensions: [
      {
        name: 'envoy.http.early_header_mutation.header_mutation',
        typed_config: {
          '@type': 'type.googleapis.com/envoy.extensions.http.early_header_mutation.header_mutation.v3.HeaderMutation',
          mutations: [{ remove: DESTINATION_ENDPOINT }],
        },
      },
    ],
    route_config: { name: 'inference', virtual_hosts: [{ name: 'pool', domains: ['*'], routes: [{ match: { prefix: '/' }, route }] }] },
    http_filters: [
      ...(shape.subsetFromHeader ? [subsetFilter] : []),
      extProc,
      { name: 'envoy.filters.http.router', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router' } },
    ],
  };

  const pickerCluster: Yaml = {
    name: EPP_CLUSTER,
    connect_timeout: '1s',
    type: shape.pickers.every((p) => isIp(hostPort(p)[0])) ? 'STATIC' : 'STRICT_DNS',
    typed_extension_protocol_options: {
      'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': {
        '@type': 'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions',
        explicit_http_config: { http2_protocol_options: {} },
      },
    },
    load_assignment: { cluster_name: EPP_CLUSTER, endpoints: endpoints(shape.pickers) },
  };

  const poolCluster: Yaml =
    shape.lb === 'original_dst'
      ? {
          name: POOL_CLUSTER,
          type: 'ORIGINAL_DST',
          lb_policy: 'CLUSTER_PROVIDED',
          connect_timeout: '5s',
          original_dst_lb_config: { use_http_header: true, http_header_name: DESTINATION_ENDPOINT },
        }
      : {
          name: POOL_CLUSTER,
          type: 'STATIC',
          connect_timeout: '5s',
          load_assignment: { cluster_name: POOL_CLUSTER, endpoints: endpoints(policy.backends.map((b) => new URL(b.url).host)) },
          load_balancing_policy: {
            policies: [
              {
                typed_extension_config: {
                  name: 'envoy.load_balancing_policies.override_host',
                  typed_config: {
                    '@type': 'type.googleapis.com/envoy.extensions.load_balancing_policies.override_host.v3.OverrideHost',
                    override_host_sources: [{ header: DESTINATION_ENDPOINT }, { metadata: { key: DESTINATION_NAMESPACE, path: [{ key: DESTINATION_ENDPOINT }] } }],
                    fallback_policy: {
                      policies: [
                        {
                          typed_extension_config: {
                            name: 'envoy.load_balancing_policies.least_request',
                            typed_config: { '@type': 'type.googleapis.com/envoy.extensions.load_balancing_policies.least_request.v3.LeastRequest' },
                          },
                        },
                      ],
                    },
                  },
                },
              },
            ],
          },
        };

  const bootstrap = listenerBootstrap(policy, 'inference_gateway', hcm, [pickerCluster, poolCluster]);
  return `# An Inference Extension gateway's Envoy, with warmroute as the endpoint picker (sidecar/epp/gateway-config.ts). LB: ${shape.lb}, bodies: ${body}.\n` + stringify(bootstrap, { lineWidth: 0, aliasDuplicateObjects: false });
}
