// The Inference Extension example (deploy/inference-extension/*.yaml) is
// checked by real validators, not by eye: the InferencePool against its
// published CRD schema (vendored, see schemas/README.md) with ajv plus the
// CRD's CEL rules, Gateway and HTTPRoute with @kubernetes-models/gateway-api,
// the rest with kubernetes-models. Then the pieces must agree: the route
// sends to the pool, the pool calls the EPP Service on warmroute's gRPC port,
// the policy is valid and in epp mode, and it lists exactly the pool's pods
// (by their StatefulSet DNS names) on the pool's target port.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import { Gateway } from '@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1/Gateway';
import { HTTPRoute } from '@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1/HTTPRoute';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { Service } from 'kubernetes-models/v1/Service';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { StatefulSet } from 'kubernetes-models/apps/v1/StatefulSet';
import { parsePolicy } from '../../sidecar/policy/load.ts';
import { PROJECT_ROOT } from '../../sidecar/util/project-root.ts';

// Parsed YAML: its shape is what the schemas below check, so it is read loosely here.
type Obj = Record<string, any>;
const DIR = join(PROJECT_ROOT, 'deploy', 'inference-extension');
const FILES = ['model-servers.yaml', 'inferencepool.yaml', 'epp.yaml'];
const docs: Obj[] = FILES.flatMap((f) => parseAllDocuments(readFileSync(join(DIR, f), 'utf8')).map((d) => ({ ...(d.toJS() as Obj), __file: f })));
const one = (kind: string, name?: string): Obj => {
  const found = docs.filter((d) => d.kind === kind && (name === undefined || d.metadata?.name === name));
  expect(found, `${kind} ${name ?? ''}`).toHaveLength(1);
  return found[0]!;
};
const strip = ({ __file: _f, ...d }: Obj): Obj => d;

// The InferencePool CRD's schema (v1), ajv-compiled; Kubernetes' own extensions are annotations to ajv.
const crd = parse(readFileSync(join(DIR, 'schemas', 'inference.networking.k8s.io_inferencepools.yaml'), 'utf8')) as Obj;
const poolSchema = crd.spec.versions.find((v: Obj) => v.name === 'v1').schema.openAPIV3Schema as Obj;
const ajv = new Ajv({ strict: false, allErrors: true });
addFormats.default(ajv);
const validatePool = ajv.compile(poolSchema);

/** The CRD's x-kubernetes-validations on spec (CEL), which ajv does not evaluate. */
function poolCelRules(pool: Obj): string[] {
  const errors: string[] = [];
  const ref = pool.spec.endpointPickerRef;
  if ((ref.kind ?? 'Service') === 'Service' && ref.port === undefined) errors.push('endpointPickerRef: port is required when kind is Service');
  const ports = (pool.spec.targetPorts as Obj[]).map((p) => p.number);
  if (new Set(ports).size !== ports.length) errors.push('targetPorts: port numbers must be unique');
  return errors;
}

const K8S: Record<string, new (d: never) => { validate(): void }> = {
  'v1/Namespace': Namespace,
  'v1/ConfigMap': ConfigMap,
  'v1/Service': Service,
  'apps/v1/Deployment': Deployment,
  'apps/v1/StatefulSet': StatefulSet,
  'gateway.networking.k8s.io/v1/Gateway': Gateway,
  'gateway.networking.k8s.io/v1/HTTPRoute': HTTPRoute,
};

describe('deploy/inference-extension', () => {
  it.each(docs.map((d) => [`${d.__file}: ${d.kind} ${d.metadata?.name}`, d] as const))('%s passes its published schema', (_name, doc) => {
    if (doc.kind === 'InferencePool') {
      expect(doc.apiVersion).toBe('inference.networking.k8s.io/v1');
      const ok = validatePool(strip(doc));
      expect(validatePool.errors ?? [], 'CRD schema').toEqual([]);
      expect(ok).toBe(true);
      expect(poolCelRules(doc)).toEqual([]);
      return;
    }
    const model = K8S[`${doc.apiVersion}/${doc.kind}`];
    expect(model, `a validator for ${doc.apiVersion}/${doc.kind}`).toBeDefined();
    expect(() => new model!(strip(doc) as never).validate()).not.toThrow();
  });

  it('the schema check is not vacuous: a pool without a selector, or with a port out of range, is refused', () => {
    const pool = strip(one('InferencePool'));
    expect(validatePool({ ...pool, spec: { ...pool.spec, selector: undefined } })).toBe(false);
    expect(validatePool({ ...pool, spec: { ...pool.spec, targetPorts: [{ number: 70000 }] } })).toBe(false);
    expect(poolCelRules({ ...pool, spec: { ...pool.spec, endpointPickerRef: { name: 'x' } } })).toHaveLength(1);
    const route = strip(one('HTTPRoute'));
    expect(() => new HTTPRoute({ ...route, spec: { ...route.spec, rules: [{ backendRefs: [{ name: 7 }] }] } } as never).validate()).toThrow();
  });

  it('the route sends to the pool, and the pool calls the EPP Service on warmroute’s gRPC port', () => {
    const pool = one('InferencePool');
    const route = one('HTTPRoute');
    const gateway = one('Gateway');
    expect(route.spec.parentRefs.map((p: Obj) => p.name)).toEqual([gateway.metadata.name]);
    expect(route.spec.rules.flatMap((r: Obj) => r.backendRefs)).toEqual([{ group: 'inference.networking.k8s.io', kind: 'InferencePool', name: pool.metadata.name }]);
    const service = one('Service', pool.spec.endpointPickerRef.name);
    const port = service.spec.ports.find((p: Obj) => p.port === pool.spec.endpointPickerRef.port.number);
    expect(port, 'EPP Service port').toBeDefined();
    const deployment = one('Deployment', 'warmroute-epp');
    expect(service.spec.selector).toEqual(deployment.spec.template.metadata.labels);
    const container = deployment.spec.template.spec.containers[0];
    expect(container.ports.find((p: Obj) => p.name === port.targetPort)?.containerPort).toBe(policy().sidecar.grpc_port);
    expect(container.readinessProbe.grpc).toEqual({ port: policy().sidecar.grpc_port, service: 'readiness' });
    expect(container.livenessProbe.grpc).toEqual({ port: policy().sidecar.grpc_port, service: 'liveness' });
    // The policy is mounted where the container reads it.
    const mount = container.volumeMounts[0];
    expect(container.args).toContain(`${mount.mountPath}/policy.yaml`);
    expect(deployment.spec.template.spec.volumes[0].configMap.name).toBe(one('ConfigMap', 'warmroute-epp-policy').metadata.name);
  });

  it('the policy is valid, in epp mode, reachable from outside the pod, and lists exactly the pool’s pods on its target port', () => {
    const p = policy();
    expect(p.envoy.mode).toBe('epp');
    expect(p.sidecar.bind_host).toBe('0.0.0.0');
    const pool = one('InferencePool');
    const sts = one('StatefulSet');
    const headless = one('Service', sts.spec.serviceName);
    expect(headless.spec.clusterIP).toBe('None');
    expect(sts.spec.template.metadata.labels).toMatchObject(pool.spec.selector.matchLabels);
    expect(headless.spec.selector).toEqual(pool.spec.selector.matchLabels);
    const ns = sts.metadata.namespace;
    const pods = Array.from({ length: sts.spec.replicas }, (_, i) => `http://${sts.metadata.name}-${i}.${sts.spec.serviceName}.${ns}.svc.cluster.local:${pool.spec.targetPorts[0].number}`);
    expect(p.backends.map((b) => b.url)).toEqual(pods);
  });
});

function policy() {
  return parsePolicy(one('ConfigMap', 'warmroute-epp-policy').data['policy.yaml'], 'deploy/inference-extension/epp.yaml');
}
