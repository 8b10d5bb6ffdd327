// The product bundle carries no simulator: `sim` and `demo` have their own
// entry point (sim/cli.ts → dist/warmroute-sim.mjs).
import { describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../envoy/binary.ts';

interface Metafile {
  outputs: Record<string, { inputs: Record<string, unknown>; entryPoint?: string }>;
}

describe('bundles', () => {
  it('keeps sim/ out of dist/warmroute.mjs and puts it in dist/warmroute-sim.mjs', async () => {
    const out = mkdtempSync(join(tmpdir(), 'warmroute-bundle-'));
    try {
      const buildScript = join(PROJECT_ROOT, 'scripts', 'build.mjs');
      const { buildBundle } = (await import(buildScript)) as { buildBundle(outdir: string): Promise<Metafile> };
      const meta = await buildBundle(out);
      const inputsOf = (name: string) => Object.keys(Object.entries(meta.outputs).find(([file]) => file.endsWith(`/${name}`))?.[1].inputs ?? {});
      const product = inputsOf('warmroute.mjs');
      const sim = inputsOf('warmroute-sim.mjs');
      expect(product.some((f) => f.includes('sidecar/app.ts'))).toBe(true);
      expect(product.filter((f) => f.startsWith('sim/'))).toEqual([]);
      expect(sim.some((f) => f.startsWith('sim/server.ts'))).toBe(true);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }, 60_000);
});
