// Which committed Envoy config is rendered from which policy (paths from the repo root).
export const ENVOY_EXAMPLES = [
  { policy: 'policies/two-openai.yaml', envoy: 'envoy/original-dst.yaml' },
  { policy: 'policies/mesh-cluster-header.yaml', envoy: 'envoy/cluster-header.yaml' },
  { policy: 'policies/compose.yaml', envoy: 'envoy/compose.yaml' },
] as const;
