// Regenerates the committed Kubernetes and Istio manifests under deploy/:
//   npx tsx scripts/render-mesh.ts
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { MESH_EXAMPLES } from '../deploy/examples.ts';
import { meshConfigText } from '../sidecar/cli/mesh-config.ts';

for (const { file, args } of MESH_EXAMPLES) {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, meshConfigText([...args]));
  console.error(`warmroute mesh-config ${args.join(' ')} -> ${file}`);
}
