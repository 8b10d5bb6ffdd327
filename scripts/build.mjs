// Bundles the product (CLI + sidecar) into dist/warmroute.mjs and, apart, the
// simulated backends' entry point (`sim`, `demo`) into dist/warmroute-sim.mjs,
// with esbuild. The product bundle holds no simulator code. Running bundles
// instead of the sources through tsx avoids tsx's per-closure name-keeping
// helper on the request path (measured: ~30 % of the scheduler's CPU) and its
// loader at start-up. Dependencies stay external.
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

/** Entry points by bundle name (dist/<name>.mjs). */
export const BUNDLES = {
  warmroute: `${root}/sidecar/cli/main.ts`,
  'warmroute-sim': `${root}/sim/cli.ts`,
};

/** Builds both bundles; returns esbuild's metafile (what went into each). */
export async function buildBundle(outdir = `${root}/dist`) {
  const result = await build({
    entryPoints: BUNDLES,
    outdir,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    sourcemap: 'linked',
    logLevel: 'warning',
    metafile: true,
  });
  return result.metafile;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await buildBundle();
