// Starts the real thing for end-to-end tests: simulated backends, the sidecar,
// and a real Envoy process configured from the same policy.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { parsePolicy } from '../sidecar/policy/load.ts';
import type { Policy, PolicyInput } from '../sidecar/policy/schema.ts';
import { Policy as PolicySchema } from '../sidecar/policy/schema.ts';
import { renderEnvoyConfig } from '../sidecar/envoy/config.ts';
import { launchEnvoy, type RunningEnvoy } from '../sidecar/envoy/launch.ts';
import { startSidecar, type Sidecar } from '../sidecar/app.ts';
import { startSim, type RunningSim, type SimSpec } from '../sim/index.ts';
import { freePort } from './ports.ts';

export { freePort };

export interface GatewayOptions {
  /** Simulated backends by policy backend name. */
  sims?: Record<string, SimSpec>;
  /** Policy without ports (filled in with free ports); backend urls may use `sim:<name>`. */
  policy: Omit<PolicyInput, 'listen' | 'sidecar'> & { envoy?: PolicyInput['envoy'] };
  probe?: boolean;
  /** Start Envoy without the sidecar (to test fail-closed behaviour). */
  noSidecar?: boolean;
  /** Write the final policy to a YAML file the sidecar watches (hot reload tests). */
  watchPolicy?: boolean;
  /** Render Envoy's config another way (e.g. as an Inference Extension gateway); default renderEnvoyConfig. */
  envoyConfig?: (policy: Policy) => string;
}

export interface Gateway {
  url: string;
  policy: Policy;
  /** The watched policy file, when `watchPolicy` was set. */
  policyFile?: string;
  sidecar?: Sidecar;
  envoy: RunningEnvoy;
  sims: Record<string, RunningSim>;
  stop(): Promise<void>;
}

/** A test policy on free loopback ports; backend urls `sim:<name>` become that simulated backend's url. */
export async function testPolicy(policy: GatewayOptions['policy'], simUrls: Record<string, string>): Promise<Policy> {
  const [listenPort, grpcPort, adminPort, envoyAdmin] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const input = structuredClone(policy) as PolicyInput;
  input.backends = input.backends.map((b) => (b.url.startsWith('sim:') ? { ...b, url: simUrls[b.url.slice(4)]! } : b));
  return PolicySchema.parse({
    ...input,
    listen: { host: '127.0.0.1', port: listenPort },
    sidecar: { grpc_port: grpcPort, admin_port: adminPort },
    envoy: { ...(input.envoy ?? {}), admin_port: envoyAdmin },
  });
}

export async function startGateway(opts: GatewayOptions): Promise<Gateway> {
  const sims: Record<string, RunningSim> = {};
  for (const [name, spec] of Object.entries(opts.sims ?? {})) sims[name] = await startSim({ name, ...spec });
  const policy = await testPolicy(opts.policy, Object.fromEntries(Object.entries(sims).map(([n, s]) => [n, s.url])));
  const listenPort = policy.listen.port;
  const envoyAdmin = policy.envoy.admin_port;
  let policyFile: string | undefined;
  if (opts.watchPolicy) {
    policyFile = join(mkdtempSync(join(tmpdir(), 'warmroute-policy-')), 'policy.yaml');
    writeFileSync(policyFile, stringify(policy));
  }
  const sidecar = opts.noSidecar ? undefined : await startSidecar({ policy, probe: opts.probe ?? true, log: () => {}, policyFile });
  let envoy: RunningEnvoy;
  try {
    envoy = await launchEnvoy((opts.envoyConfig ?? renderEnvoyConfig)(policy), envoyAdmin);
  } catch (e) {
    await sidecar?.close();
    for (const s of Object.values(sims)) await s.close();
    throw e;
  }
  return {
    url: `http://127.0.0.1:${listenPort}`,
    policy,
    policyFile,
    sidecar,
    envoy,
    sims,
    async stop() {
      await envoy.stop();
      await sidecar?.close();
      for (const s of Object.values(sims)) await s.close();
    },
  };
}

/** Poll until `fn` returns true (for state that settles asynchronously, e.g. after a stream closes). */
export async function eventually(fn: () => boolean | Promise<boolean>, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await fn()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`timed out waiting for ${what}`);
}

export { parsePolicy };
