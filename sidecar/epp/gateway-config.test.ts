// The Inference-Extension-shaped Envoy configs the e2e tests run are also
// accepted by a real `envoy --mode validate` in every shape.
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { findEnvoy } from '../envoy/binary.ts';
import { Policy } from '../policy/schema.ts';
import { renderEnvoyConfig } from '../envoy/config.ts';
import { renderGatewayConfig, type GatewayShape } from './gateway-config.ts';

const policy = Policy.parse({
  envoy: { mode: 'epp' },
  backends: [
    { name: 'a', url: 'http://10.0.0.1:8000' },
    { name: 'b', url: 'http://10.0.0.2:8000' },
  ],
});
const shapes: GatewayShape[] = (['original_dst', 'override_host'] as const).flatMap((lb) =>
  (['FULL_DUPLEX_STREAMED', 'BUFFERED'] as const).map((body) => ({ lb, body, pickers: ['127.0.0.1:9002', 'epp.llm.svc.cluster.local:9002'], subsetFromHeader: true })),
);

describe('Inference Extension gateway config', () => {
  it.each(shapes.map((s) => [`${s.lb} ${s.body}`, s] as const))('%s passes envoy --mode validate', (_n, shape) => {
    const path = join(mkdtempSync(join(tmpdir(), 'warmroute-gw-')), 'envoy.yaml');
    writeFileSync(path, renderGatewayConfig(policy, shape));
    const out = execFileSync(findEnvoy(), ['--mode', 'validate', '-c', path, '--disable-hot-restart', '-l', 'error'], { encoding: 'utf8' });
    expect(out).toMatch(/OK/);
  });

  it('is what renderEnvoyConfig gives in epp mode (Envoy standing in for the gateway)', () => {
    const cfg = parse(renderEnvoyConfig(policy)) as { static_resources: { clusters: Array<{ name: string; type: string }> } };
    expect(cfg.static_resources.clusters.map((c) => [c.name, c.type])).toEqual([
      ['endpoint_picker', 'STATIC'],
      ['inference_pool', 'ORIGINAL_DST'],
    ]);
  });
});
