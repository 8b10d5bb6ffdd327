// docker-compose.yml cannot run here (no Docker engine), so this checks that
// its names, ports and mounted config paths agree with envoy/, the policy and
// the simulated fleet it starts.
import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { parsePolicy } from './sidecar/policy/load.ts';
import { renderEnvoyConfig } from './sidecar/envoy/config.ts';
import { PROJECT_ROOT } from './sidecar/envoy/binary.ts';
import { parseFleet } from './sim/index.ts';

interface Service {
  image?: string;
  build?: string;
  command?: string[];
  volumes?: string[];
  ports?: string[];
}
const compose = parse(readFileSync(join(PROJECT_ROOT, 'docker-compose.yml'), 'utf8')) as { services: Record<string, Service> };
const svc = (name: string): Service => {
  const s = compose.services[name];
  if (!s) throw new Error(`no service ${name}`);
  return s;
};
/** host file mounted at `target` in a service. */
function mounted(s: Service, target: string): string {
  const v = (s.volumes ?? []).map((x) => x.split(':')).find(([, t]) => t === target);
  if (!v) throw new Error(`nothing mounted at ${target}`);
  return join(PROJECT_ROOT, v[0]!);
}
const argAfter = (s: Service, flag: string) => s.command![s.command!.indexOf(flag) + 1]!;

describe('docker-compose.yml', () => {
  const envoySvc = svc('envoy');
  const sidecarSvc = svc('sidecar');
  const simsSvc = svc('sims');
  const policyFile = mounted(sidecarSvc, argAfter(sidecarSvc, '--policy'));
  const policy = parsePolicy(readFileSync(policyFile, 'utf8'), policyFile);
  const envoyFile = mounted(envoySvc, argAfter(envoySvc, '-c'));
  const fleet = parseFleet(readFileSync(mounted(simsSvc, argAfter(simsSvc, '--fleet')), 'utf8'));

  it('uses the official Envoy image and builds the sidecar image from the Dockerfile', () => {
    expect(envoySvc.image).toMatch(/^envoyproxy\/envoy:v1\.40\./);
    expect(sidecarSvc.build).toBe('.');
    expect(existsSync(join(PROJECT_ROOT, 'Dockerfile'))).toBe(true);
    expect(simsSvc.image).toBe(sidecarSvc.image);
  });

  it("mounts an Envoy config that is exactly the one rendered from the sidecar's policy", () => {
    expect(readFileSync(envoyFile, 'utf8')).toBe(renderEnvoyConfig(policy));
  });

  it('publishes the listener port and points Envoy at the sidecar service on its gRPC port', () => {
    expect(envoySvc.ports).toContain(`${policy.listen.port}:${policy.listen.port}`);
    expect(policy.listen.host).toBe('0.0.0.0');
    expect(compose.services[policy.sidecar.host]).toBe(sidecarSvc);
    expect(policy.sidecar.bind_host).toBe('0.0.0.0');
    expect(sidecarSvc.ports).toContain(`127.0.0.1:${policy.sidecar.admin_port}:${policy.sidecar.admin_port}`);
  });

  it('has a simulated server for every backend, on the host and port the policy uses, serving its models', () => {
    for (const b of policy.backends) {
      const u = new URL(b.url);
      expect(compose.services[u.hostname], `service ${u.hostname}`).toBe(simsSvc);
      const sim = fleet.backends.find((s) => s.port === Number(u.port));
      expect(sim, `sim on port ${u.port}`).toBeDefined();
      expect(sim!.host).toBe('0.0.0.0');
      expect(sim!.kind).toBe(b.kind);
      for (const m of b.models) expect(sim!.models.map((x) => x.id)).toContain(m);
    }
  });
});
