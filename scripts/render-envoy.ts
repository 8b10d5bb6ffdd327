// Regenerates the committed Envoy configs under envoy/ from their policies:
//   npx tsx scripts/render-envoy.ts
import { readFileSync, writeFileSync } from 'node:fs';
import { ENVOY_EXAMPLES } from '../envoy/examples.ts';
import { parsePolicy } from '../sidecar/policy/load.ts';
import { renderEnvoyConfig } from '../sidecar/envoy/config.ts';

for (const { policy, envoy } of ENVOY_EXAMPLES) {
  writeFileSync(envoy, renderEnvoyConfig(parsePolicy(readFileSync(policy, 'utf8'), policy)));
  console.error(`${policy} -> ${envoy}`);
}
