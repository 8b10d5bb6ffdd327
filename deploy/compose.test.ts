// docker-compose.yml and the macOS override (docker-compose.macs.yml) are
// valid against the Compose Specification's JSON schema (vendored from
// compose-spec, deploy/schemas/README.md), and the override turns the demo
// stack into one for real servers on the host and on other Macs without
// touching Envoy's config. No Docker engine runs here; compose.test.ts at the
// root checks the base file's names and ports.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { parse } from 'yaml';
import draft07 from 'ajv/dist/refs/json-schema-draft-07.json' with { type: 'json' };
import { PROJECT_ROOT } from '../sidecar/envoy/binary.ts';
import { parsePolicy } from '../sidecar/policy/load.ts';
import { renderEnvoyConfig } from '../sidecar/envoy/config.ts';

interface Service {
  image?: string;
  command?: string[];
  volumes?: string[];
  profiles?: string[];
  extra_hosts?: string[];
}
type Compose = { services: Record<string, Service> };

const read = (p: string) => readFileSync(join(PROJECT_ROOT, p), 'utf8');
const schema = JSON.parse(read('deploy/schemas/compose-spec.json')) as Record<string, unknown>;
const ajv = new Ajv({ strict: false, allErrors: true });
// The spec names draft-07 by its https URL; ajv knows draft-07 by the http one.
ajv.addMetaSchema({ ...draft07, $id: String(schema.$schema) });
const validate = ajv.compile(schema);
const FILES = ['docker-compose.yml', 'docker-compose.macs.yml'];

/**
 * `docker compose -f base -f override` for the keys these files use, by the
 * Compose merge rules: volumes merge by container path, other sequences
 * (profiles, extra_hosts) append, anything else the override replaces.
 */
function merge(base: Compose, over: Compose): Compose {
  const out = structuredClone(base);
  for (const [name, o] of Object.entries(over.services)) {
    const s = (out.services[name] ??= {});
    for (const [k, v] of Object.entries(o) as Array<[keyof Service, unknown]>) {
      if (k === 'volumes') {
        const byTarget = new Map((s.volumes ?? []).map((x) => [x.split(':')[1], x]));
        for (const x of v as string[]) byTarget.set(x.split(':')[1], x);
        s.volumes = [...byTarget.values()];
      } else if (k === 'profiles' || k === 'extra_hosts') s[k] = [...(s[k] ?? []), ...(v as string[])];
      else (s as Record<string, unknown>)[k] = v;
    }
  }
  return out;
}

describe.each(FILES)('%s', (file) => {
  it('is valid against the Compose Specification schema', () => {
    const ok = validate(parse(read(file)));
    expect(validate.errors ?? [], file).toEqual([]);
    expect(ok).toBe(true);
  });
});

describe('the schema really checks', () => {
  it('rejects an unknown service key and a wrongly typed field', () => {
    expect(validate({ services: { s: { image: 'x' } } })).toBe(true);
    expect(validate({ services: { s: { image: 'x', volumez: [] } } })).toBe(false);
    expect(validate({ services: { s: { image: 'x', ports: [{ target: 80, published: '80', bogus: 1 }] } } })).toBe(false);
    expect(validate({ services: { s: { image: 'x', depends_on: 'sidecar' } } })).toBe(false);
  });
});

describe('docker-compose.macs.yml over docker-compose.yml', () => {
  const merged = merge(parse(read('docker-compose.yml')) as Compose, parse(read('docker-compose.macs.yml')) as Compose);
  const sidecar = merged.services.sidecar!;
  const policyPath = sidecar.command![sidecar.command!.indexOf('--policy') + 1]!;
  const mount = sidecar.volumes!.find((v) => v.split(':')[1] === policyPath)!;
  const policyFile = mount.split(':')[0]!.replace(/^\.\//, '');
  const policy = parsePolicy(read(policyFile), policyFile);

  it('mounts policies/compose-macs.yaml where the sidecar reads its policy, once', () => {
    expect(policyFile).toBe('policies/compose-macs.yaml');
    expect(sidecar.volumes!.filter((v) => v.split(':')[1] === policyPath)).toHaveLength(1);
  });

  it("needs no other Envoy config: compose-macs.yaml renders envoy/compose.yaml exactly", () => {
    expect(renderEnvoyConfig(policy)).toBe(read('envoy/compose.yaml'));
  });

  it('keeps the simulated backends out of a default `up` (sim profile)', () => {
    expect(merged.services.sims!.profiles).toEqual(['sim']);
    expect(merged.services.sidecar!.profiles).toBeUndefined();
    expect(merged.services.envoy!.profiles).toBeUndefined();
  });

  it('reaches backends on this Mac through host.docker.internal and other Macs by LAN address', () => {
    const hosts = policy.backends.map((b) => new URL(b.url).hostname);
    expect(hosts).toContain('host.docker.internal');
    for (const h of hosts) expect(h === 'host.docker.internal' || /^(10|192\.168|172\.(1[6-9]|2\d|3[01]))\./.test(h), h).toBe(true);
    expect(sidecar.extra_hosts).toContain('host.docker.internal:host-gateway');
  });
});
