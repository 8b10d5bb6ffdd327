// The committed mesh manifests and the `warmroute mesh-config` arguments that
// render each (paths from the repo root). Regenerate: npx tsx scripts/render-mesh.ts
export const MESH_EXAMPLES = [
  { file: 'deploy/kubernetes/warmroute.yaml', args: ['--policy', 'policies/mesh-istio.yaml', '--output', 'kubernetes'] },
  { file: 'deploy/istio/ingress-gateway.yaml', args: ['--policy', 'policies/mesh-istio.yaml', '--output', 'gateway', '--host', 'llm.example.com'] },
  { file: 'deploy/istio/sidecar-workload.yaml', args: ['--policy', 'policies/mesh-istio.yaml', '--output', 'sidecar', '--host', 'llm.agents.svc.cluster.local', '--workload-namespace', 'agents', '--workload-selector', 'app=agent'] },
] as const;
