// `warmroute mesh-config --policy FILE [--output kubernetes|gateway|sidecar] [--host H] [--image I] ...`
// prints the Kubernetes or Istio resources for a policy (sidecar/envoy/mesh.ts).
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { parsePolicy, PolicyError } from '../policy/load.ts';
import { MeshConfigError, renderMesh, type MeshOptionsInput, type MeshOutput } from '../envoy/mesh.ts';

export const MESH_USAGE = `warmroute mesh-config --policy FILE [options]   print Kubernetes / Istio resources for a policy
  --output kubernetes   Namespace, policy ConfigMap, Deployment, Service (default)
  --output gateway      ServiceEntries, Gateway, VirtualService, EnvoyFilter for an ingress gateway
  --output sidecar      ServiceEntries, Service, VirtualService, EnvoyFilter for a sidecar-injected client
  --host H              LLM host (gateway: public host; sidecar: NAME.NS.svc.cluster.local)
  --port N              gateway server port / client-facing service port (80)
  --gateway-namespace NS, --gateway-selector k=v[,k=v]   the ingress gateway (istio-system, istio=ingressgateway)
  --workload-namespace NS, --workload-selector k=v[,k=v] the client pods (sidecar output)
  --image IMAGE         the sidecar image built from the Dockerfile
`;

const OUTPUTS: readonly MeshOutput[] = ['kubernetes', 'gateway', 'sidecar'];

function labels(s: string): Record<string, string> {
  return Object.fromEntries(s.split(',').map((kv) => {
    const [k, v] = kv.split('=');
    if (!k || v === undefined) throw new MeshConfigError(`selector "${s}": expected k=v[,k=v]`);
    return [k.trim(), v.trim()];
  }));
}

/** Parses the arguments and renders; returns the YAML, or throws with a message for the user. */
export function meshConfigText(args: string[]): string {
  const { values } = parseArgs({
    args,
    options: {
      policy: { type: 'string' },
      output: { type: 'string', default: 'kubernetes' },
      host: { type: 'string' },
      port: { type: 'string' },
      'gateway-namespace': { type: 'string' },
      'gateway-selector': { type: 'string' },
      'workload-namespace': { type: 'string' },
      'workload-selector': { type: 'string' },
      image: { type: 'string' },
      help: { type: 'boolean' },
    },
  });
  if (values.help) return MESH_USAGE;
  if (!values.policy) throw new MeshConfigError(`mesh-config needs --policy FILE\n\n${MESH_USAGE}`);
  const output = OUTPUTS.find((o) => o === values.output);
  if (!output) throw new MeshConfigError(`--output must be one of ${OUTPUTS.join(', ')}`);
  const text = readFileSync(values.policy, 'utf8');
  const opts: MeshOptionsInput = {
    ...(values.host ? { host: values.host } : {}),
    ...(values.port ? { gateway_port: Number(values.port) } : {}),
    ...(values['gateway-namespace'] ? { gateway_namespace: values['gateway-namespace'] } : {}),
    ...(values['gateway-selector'] ? { gateway_selector: labels(values['gateway-selector']) } : {}),
    ...(values['workload-namespace'] ? { workload_namespace: values['workload-namespace'] } : {}),
    ...(values['workload-selector'] ? { workload_selector: labels(values['workload-selector']) } : {}),
    ...(values.image ? { image: values.image } : {}),
  };
  return renderMesh(parsePolicy(text, values.policy), text, output, opts);
}

export function meshConfig(args: string[]): number {
  try {
    process.stdout.write(meshConfigText(args));
    return 0;
  } catch (e) {
    console.error(e instanceof PolicyError || e instanceof MeshConfigError || e instanceof Error ? e.message : String(e));
    return e instanceof PolicyError || e instanceof MeshConfigError ? 1 : 2;
  }
}
