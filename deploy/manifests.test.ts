// The committed Kubernetes and Istio manifests are exactly what
// `warmroute mesh-config` renders, every object passes its published schema
// (Kubernetes, Istio), and the pieces agree with each other and the policy:
// the ConfigMap is mounted as a directory (so edits hot-reload), the probes
// hit /healthz on the admin port, the gateway reaches the sidecar through
// its Service, and each backend's cluster is the one Istio makes from its
// ServiceEntry.
import { describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { MESH_EXAMPLES } from './examples.ts';
import { validateManifest } from './validate-manifest.ts';
import { meshConfigText } from '../sidecar/cli/mesh-config.ts';
import { parsePolicy } from '../sidecar/policy/load.ts';
import { PROJECT_ROOT } from '../sidecar/envoy/binary.ts';
import { istioClusterName, renderIstio, MeshConfigError } from '../sidecar/envoy/mesh.ts';
import { ADMIN_TOKEN_ENV } from '../sidecar/admin/auth.ts';

type Obj = Record<string, unknown>;
const read = (p: string) => readFileSync(join(PROJECT_ROOT, p), 'utf8');
const docsOf = (text: string): Obj[] => parseAllDocuments(text).map((d) => d.toJS() as Obj);
const POLICY_FILE = 'policies/mesh-istio.yaml';
const policy = parsePolicy(read(POLICY_FILE), POLICY_FILE);
const byKind = (docs: Obj[], kind: string): Obj[] => docs.filter((d) => d.kind === kind);
// The examples name the policy relative to the repo root.
const render = (args: readonly string[]) => meshConfigText(args.map((a, i) => (args[i - 1] === '--policy' ? join(PROJECT_ROOT, a) : a)));

describe.each(MESH_EXAMPLES)('$file', ({ file, args }) => {
  const text = read(file);

  it(`is up to date with warmroute mesh-config ${args.join(' ')} (regenerate: npx tsx scripts/render-mesh.ts)`, () => {
    expect(text).toBe(render(args));
  });

  it('every object passes the published Kubernetes / Istio schema', () => {
    const docs = docsOf(text);
    expect(docs.length).toBeGreaterThan(0);
    for (const d of docs) expect(() => validateManifest(d)).not.toThrow();
  });
});

describe('the schemas are really checked', () => {
  it('a wrong field type or enum value is rejected', () => {
    const [deployment] = byKind(docsOf(read('deploy/kubernetes/warmroute.yaml')), 'Deployment');
    const bad = structuredClone(deployment!) as { spec: { replicas: unknown } };
    bad.spec.replicas = 'one';
    expect(() => validateManifest(bad as unknown as Obj)).toThrow(/replicas/);
    const [ef] = byKind(docsOf(read('deploy/istio/ingress-gateway.yaml')), 'EnvoyFilter');
    const badEf = structuredClone(ef!) as { spec: { configPatches: Array<{ applyTo: string }> } };
    badEf.spec.configPatches[0]!.applyTo = 'HTTP_FILTERS';
    expect(() => validateManifest(badEf as unknown as Obj)).toThrow(/applyTo/);
  });
});

describe('deploy/kubernetes/warmroute.yaml', () => {
  const docs = docsOf(read('deploy/kubernetes/warmroute.yaml'));
  const [cm] = byKind(docs, 'ConfigMap') as Array<{ metadata: { name: string; namespace: string }; data: Record<string, string> }>;
  const [dep] = byKind(docs, 'Deployment') as Array<{ spec: { template: { spec: { containers: Array<Obj & { args: string[]; ports: Array<{ name: string; containerPort: number }>; volumeMounts: Array<Obj & { mountPath: string; name: string }> }>; volumes: Array<{ name: string; configMap?: { name: string } }> } } } }>;
  const [svc] = byKind(docs, 'Service') as Array<{ metadata: { name: string; namespace: string }; spec: { ports: Array<{ name: string; port: number }> } }>;
  const container = dep!.spec.template.spec.containers[0]!;

  it('holds the policy file verbatim in the ConfigMap', () => {
    expect(Object.values(cm!.data)).toEqual([read(POLICY_FILE)]);
  });

  it('mounts the ConfigMap as a directory, never subPath, where --policy points', () => {
    const policyPath = container.args[container.args.indexOf('--policy') + 1]!;
    const volume = dep!.spec.template.spec.volumes.find((v) => v.configMap?.name === cm!.metadata.name)!;
    const mount = container.volumeMounts.find((m) => m.name === volume.name)!;
    expect(mount.subPath).toBeUndefined();
    expect(policyPath).toBe(`${mount.mountPath}/${Object.keys(cm!.data)[0]}`);
  });

  it('probes /healthz on the admin port, which the policy binds on all addresses', () => {
    const admin = container.ports.find((p) => p.name === 'admin')!;
    expect(admin.containerPort).toBe(policy.sidecar.admin_port);
    for (const probe of [container.readinessProbe, container.livenessProbe] as Array<{ httpGet: { path: string; port: string } }>) expect(probe.httpGet).toEqual({ path: '/healthz', port: 'admin' });
    expect(policy.sidecar.admin_host).toBe('0.0.0.0');
    expect(policy.sidecar.bind_host).toBe('0.0.0.0');
  });

  it('gives the sidecar its admin token from a Secret (required off loopback)', () => {
    expect(container.env).toEqual([{ name: ADMIN_TOKEN_ENV, valueFrom: { secretKeyRef: { name: 'warmroute-admin', key: 'token' } } }]);
  });

  it("is the Service the policy's sidecar.host names, with the gRPC and admin ports", () => {
    expect(`${svc!.metadata.name}.${svc!.metadata.namespace}.svc.cluster.local`).toBe(policy.sidecar.host);
    expect(svc!.spec.ports.map((p) => [p.name, p.port])).toEqual([
      ['grpc', policy.sidecar.grpc_port],
      ['http-admin', policy.sidecar.admin_port],
    ]);
  });
});

describe.each(['deploy/istio/ingress-gateway.yaml', 'deploy/istio/sidecar-workload.yaml'])('%s', (file) => {
  const docs = docsOf(read(file));

  it('has a ServiceEntry for every machine outside the cluster, whose Istio cluster is the one the sidecar names', () => {
    const entries = byKind(docs, 'ServiceEntry') as Array<{ spec: { hosts: string[]; ports: Array<{ number: number }>; location: string } }>;
    const istioClusters = entries.flatMap((e) => e.spec.ports.map((p) => `outbound|${p.number}||${e.spec.hosts[0]}`));
    for (const b of policy.backends) {
      expect(b.cluster).toBe(istioClusterName(b));
      if (new URL(b.url).hostname.endsWith('.svc.cluster.local')) expect(istioClusters).not.toContain(b.cluster);
      else expect(istioClusters).toContain(b.cluster);
    }
    for (const e of entries) expect(e.spec.location).toBe('MESH_EXTERNAL');
  });

  it("points the sidecar clusters at the Kubernetes Service's gRPC port", () => {
    const [ef] = byKind(docs, 'EnvoyFilter') as Array<{ spec: { configPatches: Array<{ applyTo: string; patch: { value: Obj } }> } }>;
    const added = ef!.spec.configPatches.filter((p) => p.applyTo === 'CLUSTER').map((p) => JSON.stringify(p.patch.value));
    // The routing filter's cluster, and the observer's own (same address, own connections).
    expect(added).toHaveLength(policy.envoy.observe_responses ? 2 : 1);
    for (const c of added) expect(c).toContain(`"address":"${policy.sidecar.host}","port_value":${policy.sidecar.grpc_port}`);
  });
});

describe('the warmroute command', () => {
  it('prints the committed gateway example for `mesh-config`, and exits 1 with the reasons for a policy Istio cannot route', () => {
    const bin = join(PROJECT_ROOT, 'bin', 'warmroute.mjs');
    const [, example] = MESH_EXAMPLES;
    const out = execFileSync(process.execPath, [bin, 'mesh-config', ...example.args], { cwd: PROJECT_ROOT, encoding: 'utf8' });
    expect(out).toBe(read(example.file));
    const bad = spawnSync(process.execPath, [bin, 'mesh-config', '--policy', 'policies/demo.yaml', '--output', 'gateway'], { cwd: PROJECT_ROOT, encoding: 'utf8' });
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain('envoy.mode must be cluster_header');
  }, 120_000);
});

describe('mesh-config refuses a policy Istio cannot route', () => {
  it('names the exact cluster line a backend needs', () => {
    const bad = parsePolicy(read(POLICY_FILE).replace('cluster: "outbound|8080||gpu-box.lan"', 'cluster: "gpu-box"'), 'bad');
    expect(() => renderIstio(bad, 'gateway')).toThrow(MeshConfigError);
    expect(() => renderIstio(bad, 'gateway')).toThrow('backend gpu-box: set  cluster: "outbound|8080||gpu-box.lan"');
  });

  it('needs cluster_header mode and a sidecar reachable as a Service', () => {
    const bad = parsePolicy('backends: [{ name: a, url: "http://a.lan:8000", models: [m] }]\n', 'bad');
    expect(() => renderIstio(bad, 'gateway')).toThrow(/envoy\.mode must be cluster_header[\s\S]*sidecar\.host must be[\s\S]*bind_host[\s\S]*admin_host/);
  });
});
