// withSidecarReplicas on warmroute's own rendered config: every sidecar
// cluster lists every replica with health checks and outlier detection, the
// extra passes sit between the routed routes and the no-decision answer, and
// a real Envoy accepts the result.
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { findEnvoy } from './binary.ts';
import { Policy } from '../policy/schema.ts';
import { renderEnvoyConfig, SIDECAR_CLUSTER } from './config.ts';
import { REPLICA_RETRY_HEADER, SELF_CLUSTER, withSidecarReplicas } from './replicas.ts';

const policy = Policy.parse({ sidecar: { grpc_port: 18090 }, backends: [{ name: 'a', url: 'http://10.0.0.1:8000' }] });
const REPLICAS = ['127.0.0.1:18090', '127.0.0.1:18190', '127.0.0.1:18290'];
type Doc = {
  static_resources: {
    clusters: Array<{ name: string; load_assignment?: { endpoints: Array<{ lb_endpoints: unknown[] }> }; health_checks?: Array<{ grpc_health_check?: { service_name: string } }> }>;
    listeners: Array<{ filter_chains: Array<{ filters: Array<{ typed_config: { route_config: { virtual_hosts: Array<{ routes: Array<{ match: { headers?: Array<{ name: string }> }; route?: { cluster?: string }; direct_response?: unknown }> }> } } }> }> }>;
  };
};

describe('withSidecarReplicas', () => {
  const text = withSidecarReplicas(renderEnvoyConfig(policy), REPLICAS, { healthIntervalMs: 500 });
  const doc = parse(text) as Doc;

  it('lists every replica, health-checked over gRPC, in each cluster that reached the sidecar', () => {
    const sidecarClusters = doc.static_resources.clusters.filter((c) => c.name.startsWith(SIDECAR_CLUSTER));
    expect(sidecarClusters.length).toBeGreaterThanOrEqual(1);
    for (const c of sidecarClusters) {
      expect(c.load_assignment!.endpoints[0]!.lb_endpoints).toHaveLength(3);
      expect(c.health_checks![0]!.grpc_health_check!.service_name).toBe('envoy.service.ext_proc.v3.ExternalProcessor');
    }
  });

  it('puts one extra pass per replica, plus one, after the routed routes and before the no-decision answer', () => {
    const routes = doc.static_resources.listeners[0]!.filter_chains[0]!.filters[0]!.typed_config.route_config.virtual_hosts[0]!.routes;
    const passes = routes.map((r, i) => [i, r] as const).filter(([, r]) => r.route?.cluster === SELF_CLUSTER);
    expect(passes).toHaveLength(4);
    expect(passes.every(([, r]) => r.match.headers!.some((h) => h.name === REPLICA_RETRY_HEADER))).toBe(true);
    const lastRouted = routes.map((r) => (r.match.headers ?? []).some((h) => h.name.startsWith('x-warmroute-') && h.name !== REPLICA_RETRY_HEADER)).lastIndexOf(true);
    expect(passes[0]![0]).toBe(lastRouted + 1);
    expect(routes.at(-1)!.direct_response).toBeDefined();
  });

  it('passes envoy --mode validate', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'warmroute-replicas-')), 'envoy.yaml');
    writeFileSync(path, text);
    expect(execFileSync(findEnvoy(), ['--mode', 'validate', '-c', path, '--disable-hot-restart', '-l', 'error'], { encoding: 'utf8' })).toMatch(/OK/);
  });

  it('refuses a config whose sidecar cluster does not reach the first replica', () => {
    expect(() => withSidecarReplicas(renderEnvoyConfig(policy), ['127.0.0.1:1'])).toThrow(/does not reach/);
  });
});
