// The rendered EnvoyFilters, applied with Istio's patch semantics to an
// Envoy bootstrap shaped like what istiod gives an ingress gateway (or a
// client pod's sidecar), are accepted by a real `envoy --mode validate`; every
// patch lands somewhere; the warmroute filters sit just before the router,
// disabled, and only the LLM virtual host switches them on.
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';
import { applyEnvoyFilter, protoMerge, type ConfigPatch } from './envoyfilter.ts';
import { istioProxyBootstrap } from './istio-proxy.ts';
import { findEnvoy, PROJECT_ROOT } from '../sidecar/envoy/binary.ts';
import { parsePolicy } from '../sidecar/policy/load.ts';
import { ROUTING_FILTER } from '../sidecar/envoy/mesh.ts';

type Obj = Record<string, unknown>;
const policy = parsePolicy(readFileSync(join(PROJECT_ROOT, 'policies/mesh-istio.yaml'), 'utf8'), 'policies/mesh-istio.yaml');

const VARIANTS = [
  { file: 'deploy/istio/ingress-gateway.yaml', context: 'GATEWAY', llmVhost: 'llm.example.com:80', otherHost: 'shop.example.com' },
  { file: 'deploy/istio/sidecar-workload.yaml', context: 'SIDECAR_OUTBOUND', llmVhost: 'llm.agents.svc.cluster.local:80', otherHost: 'shop.default.svc.cluster.local' },
] as const;

describe('protoMerge (EnvoyFilter MERGE)', () => {
  it('merges messages field by field, appends repeated fields, replaces scalars, refuses a different @type', () => {
    const dst: Obj = { a: { x: 1, y: 2 }, list: [1], s: 'old', t: { '@type': 'A' } };
    protoMerge(dst, { a: { y: 3 }, list: [2], s: 'new' });
    expect(dst).toEqual({ a: { x: 1, y: 3 }, list: [1, 2], s: 'new', t: { '@type': 'A' } });
    expect(() => protoMerge(dst, { t: { '@type': 'B' } })).toThrow(/@type/);
  });
});

describe.each(VARIANTS)('$file on an Istio-shaped $context proxy', ({ file, context, llmVhost, otherHost }) => {
  const docs = parseAllDocuments(readFileSync(join(PROJECT_ROOT, file), 'utf8')).map((d) => d.toJS() as Obj);
  const ef = docs.find((d) => d.kind === 'EnvoyFilter') as { spec: { configPatches: ConfigPatch[] } };
  const bootstrap = istioProxyBootstrap(docs, policy, {
    context,
    listenHost: '0.0.0.0',
    listenPort: context === 'GATEWAY' ? 8080 : 80,
    adminPort: 15000,
    other: { host: otherHost, cluster: `outbound|80||${otherHost}`, address: otherHost, port: 80 },
  });
  const applied = applyEnvoyFilter(bootstrap, ef.spec.configPatches, context);
  const hcm = ((((bootstrap.static_resources as Obj).listeners as Obj[])[0]!.filter_chains as Obj[])[0]!.filters as Obj[])[0]!.typed_config as Obj;
  const vhosts = (hcm.route_config as { virtual_hosts: Array<Obj & { name: string; routes: Obj[] }> }).virtual_hosts;

  it('every patch matches', () => {
    expect(applied.every((n) => n >= 1), `matches per patch: ${applied.join(',')}`).toBe(true);
  });

  it('puts the warmroute filters, disabled, right before the router', () => {
    const filters = hcm.http_filters as Array<{ name: string; disabled?: boolean }>;
    expect(filters.map((f) => f.name).slice(-3)).toEqual([ROUTING_FILTER, 'warmroute.observe', 'envoy.filters.http.router']);
    expect(filters.filter((f) => f.name.startsWith('warmroute.')).every((f) => f.disabled === true)).toBe(true);
  });

  it('enables them on the LLM host only, whose routes follow the decision first', () => {
    const llm = vhosts.find((v) => v.name === llmVhost)!;
    expect(Object.keys(llm.typed_per_filter_config as Obj).sort()).toEqual([ROUTING_FILTER, 'warmroute.observe'].sort());
    expect(llm.routes.map((r) => r.name)).toEqual(['warmroute-0', 'warmroute-1', 'no-decision-0', 'no-decision-1']);
    expect(JSON.stringify(llm.routes[1])).toContain('"cluster_header":"x-warmroute-cluster"');
    const other = vhosts.find((v) => v.name !== llmVhost)!;
    expect(other.typed_per_filter_config).toBeUndefined();
    expect(JSON.stringify(other.routes)).not.toContain('x-warmroute');
  });

  it("raises the listener's buffer limit to the policy's max_body_bytes (the routing filter buffers bodies)", () => {
    expect(((bootstrap.static_resources as Obj).listeners as Obj[])[0]!.per_connection_buffer_limit_bytes).toBe(policy.envoy.max_body_bytes);
  });

  it('strips client-sent routing headers before any route is chosen', () => {
    expect(JSON.stringify(hcm.early_header_mutation_extensions)).toContain('"remove":"x-warmroute-cluster"');
  });

  it('is accepted by a real `envoy --mode validate`', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'warmroute-istio-')), 'envoy.yaml');
    writeFileSync(path, stringify(bootstrap, { lineWidth: 0, aliasDuplicateObjects: false }));
    const out = execFileSync(findEnvoy(), ['--mode', 'validate', '-c', path, '--disable-hot-restart', '-l', 'error'], { encoding: 'utf8' });
    expect(out).toContain('OK');
  }, 60_000);
});
