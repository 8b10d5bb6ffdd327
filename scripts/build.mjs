// Bundles the CLI and sidecar into dist/warmroute.mjs with esbuild. Running
// the bundle instead of the sources through tsx avoids tsx's per-closure
// name-keeping helper on the request path (measured: ~30 % of the
// scheduler's CPU) and its loader at start-up. Dependencies stay external.
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
export async function buildBundle() {
  await build({
    entryPoints: [`${root}/sidecar/cli/main.ts`],
    outfile: `${root}/dist/warmroute.mjs`,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    sourcemap: 'linked',
    logLevel: 'warning',
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await buildBundle();
