// The outer shape every Envoy config warmroute renders shares: the admin
// port, one HTTP listener, the clusters. A leaf module, so the gateway-shaped
// renderer (sidecar/epp/) and the main one use it without importing each other.
import type { Policy } from '../policy/schema.ts';

export type Yaml = Record<string, unknown>;

export function socket(address: string, port: number): Yaml {
  return { socket_address: { address, port_value: port } };
}

/**
 * Envoy's bootstrap: the admin port, one listener on `listen` running `hcm`, and
 * the clusters. The per-connection buffer limit is the largest request body
 * Envoy buffers for the sidecar; beyond it the client gets 413.
 */
export function listenerBootstrap(policy: Policy, listenerName: string, hcm: Yaml, clusters: Yaml[]): Yaml {
  return {
    admin: { address: socket('127.0.0.1', policy.envoy.admin_port) },
    static_resources: {
      listeners: [
        {
          name: listenerName,
          address: socket(policy.listen.host, policy.listen.port),
          per_connection_buffer_limit_bytes: policy.envoy.max_body_bytes,
          filter_chains: [{ filters: [{ name: 'envoy.filters.network.http_connection_manager', typed_config: hcm }] }],
        },
      ],
      clusters,
    },
  };
}
