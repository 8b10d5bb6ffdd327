// The committed Envoy configs are exactly what warmroute renders from their
// policies, and a real Envoy accepts each of them.
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ENVOY_EXAMPLES } from './examples.ts';
import { parsePolicy } from '../sidecar/policy/load.ts';
import { renderEnvoyConfig } from '../sidecar/envoy/config.ts';
import { findEnvoy, PROJECT_ROOT } from '../sidecar/envoy/binary.ts';

describe.each(ENVOY_EXAMPLES)('$envoy', ({ policy, envoy }) => {
  const rendered = renderEnvoyConfig(parsePolicy(readFileSync(join(PROJECT_ROOT, policy), 'utf8'), policy));

  it(`is up to date with ${policy} (regenerate: npx tsx scripts/render-envoy.ts)`, () => {
    expect(readFileSync(join(PROJECT_ROOT, envoy), 'utf8')).toBe(rendered);
  });

  it('passes `envoy --mode validate`', () => {
    const out = execFileSync(findEnvoy(), ['--mode', 'validate', '-c', join(PROJECT_ROOT, envoy), '--disable-hot-restart', '-l', 'error'], { encoding: 'utf8' });
    expect(out).toContain('OK');
  }, 30_000);
});
