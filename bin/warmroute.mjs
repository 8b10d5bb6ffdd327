#!/usr/bin/env node
// The warmroute command. Bundles the TypeScript sources with esbuild into
// dist/ when they changed (scripts/build.mjs), then runs the bundle: the
// simulator's (dist/warmroute-sim.mjs) for `sim` and `demo`, the product's
// (dist/warmroute.mjs) for everything else.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const SIM_COMMANDS = ['sim', 'demo', 'replay']; // served by sim/cli.ts (replay runs the simulator's model in virtual time)
const argv = process.argv.slice(2);
const bundle = join(root, 'dist', SIM_COMMANDS.includes(argv[0]) ? 'warmroute-sim.mjs' : 'warmroute.mjs');

function newestSource(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(p));
    else if (entry.name.endsWith('.ts')) newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}

const stale = !existsSync(bundle) || ['sidecar', 'sim'].some((d) => newestSource(join(root, d)) > statSync(bundle).mtimeMs);
if (stale) {
  const { buildBundle } = await import('../scripts/build.mjs');
  await buildBundle();
}
const { main } = await import(pathToFileURL(bundle).href);
process.exitCode = await main(argv);
