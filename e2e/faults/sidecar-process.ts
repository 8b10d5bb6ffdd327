// A gateway whose parts can be killed for real: the sidecar runs as its own
// process (`warmroute sidecar --policy FILE`, as users run it next to their own
// Envoy), and so can the simulated backends (`warmroute sim --fleet FILE`).
// Fault tests SIGKILL them; nothing gets a chance to clean up.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { PROJECT_ROOT } from '../../sidecar/envoy/binary.ts';
import { renderEnvoyConfig } from '../../sidecar/envoy/config.ts';
import { launchEnvoy, type RunningEnvoy } from '../../sidecar/envoy/launch.ts';
import type { Policy, PolicyInput } from '../../sidecar/policy/schema.ts';
import type { SimSpec } from '../../sim/index.ts';
import { freePort, testPolicy } from '../harness.ts';

const CLI = join(PROJECT_ROOT, 'bin', 'warmroute.mjs');

/** One `warmroute …` child process that can be SIGKILLed and started again with the same arguments. */
export class CliProcess {
  private child: ChildProcess | undefined;
  private output = '';

  constructor(
    private readonly args: string[],
    private readonly ready: () => Promise<boolean>,
    private readonly what: string,
  ) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  log(): string {
    return this.output;
  }

  async start(timeoutMs = 30_000): Promise<void> {
    const child = spawn(process.execPath, [CLI, ...this.args], { cwd: PROJECT_ROOT, env: { ...process.env, WARMROUTE_LOG: 'silent' }, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    const keep = (d: Buffer): void => {
      this.output = (this.output + d.toString()).slice(-20_000);
    };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    const end = Date.now() + timeoutMs;
    while (Date.now() < end) {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${this.what} exited (${child.exitCode ?? child.signalCode}) before it was ready:\n${this.output}`);
      if (await this.ready().catch(() => false)) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`${this.what} not ready after ${timeoutMs} ms:\n${this.output}`);
  }

  /** SIGKILL, and wait until the process is gone. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill('SIGKILL');
    await exited;
  }

  /** SIGTERM (a clean stop), SIGKILL after 5 s. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill('SIGTERM');
    const t = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(t);
  }
}

async function answers(url: string): Promise<boolean> {
  const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
  await res.body?.cancel();
  return res.status < 500;
}

/** The sidecar's /status, the fields fault tests read. */
export interface SidecarStatus {
  queued: number;
  running: number;
  inFlight: number;
  backends: Array<{ name: string; healthy: boolean; slots: number; inFlight: number; externalInFlight: number; models: Record<string, string> }>;
}

export interface FaultGateway {
  url: string;
  policy: Policy;
  envoy: RunningEnvoy;
  sidecar: CliProcess;
  /** Each simulated backend in its own process, by backend name. */
  sims: Record<string, CliProcess & { url: string }>;
  status(): Promise<SidecarStatus>;
  /** A counter from Envoy's /stats (0 when absent). */
  envoyStat(name: string): Promise<number>;
  stop(): Promise<void>;
}

export interface FaultGatewayOptions {
  sims: Record<string, SimSpec>;
  /** Policy without ports; backend urls `sim:<name>` name a simulated backend. */
  policy: Omit<PolicyInput, 'listen' | 'sidecar'> & { envoy?: PolicyInput['envoy'] };
}

export async function startFaultGateway(opts: FaultGatewayOptions): Promise<FaultGateway> {
  const dir = mkdtempSync(join(tmpdir(), 'warmroute-faults-'));
  const sims: FaultGateway['sims'] = {};
  const started: CliProcess[] = [];
  try {
    for (const [name, spec] of Object.entries(opts.sims)) {
      const port = await freePort();
      const url = `http://127.0.0.1:${port}`;
      const fleetFile = join(dir, `fleet-${name}.yaml`);
      writeFileSync(fleetFile, stringify({ backends: [{ ...spec, name, host: '127.0.0.1', port }] }));
      const sim = Object.assign(new CliProcess(['sim', '--fleet', fleetFile], () => answers(`${url}/v1/models`), `sim ${name}`), { url });
      await sim.start();
      started.push(sim);
      sims[name] = sim;
    }
    const policy = await testPolicy(opts.policy, Object.fromEntries(Object.entries(sims).map(([n, s]) => [n, s.url])));
    const [listenPort, adminPort, envoyAdmin] = [policy.listen.port, policy.sidecar.admin_port, policy.envoy.admin_port];
    const policyFile = join(dir, 'policy.yaml');
    writeFileSync(policyFile, stringify(policy));
    const adminUrl = `http://127.0.0.1:${adminPort}`;
    const sidecar = new CliProcess(['sidecar', '--policy', policyFile], () => answers(`${adminUrl}/healthz`), 'sidecar');
    await sidecar.start();
    started.push(sidecar);
    const envoy = await launchEnvoy(renderEnvoyConfig(policy), envoyAdmin);
    return {
      url: `http://127.0.0.1:${listenPort}`,
      policy,
      envoy,
      sidecar,
      sims,
      status: async () => (await (await fetch(`${adminUrl}/status`)).json()) as SidecarStatus,
      async envoyStat(name) {
        const text = await (await fetch(`http://127.0.0.1:${envoyAdmin}/stats?filter=${encodeURIComponent(`^${name.replace(/\./g, '\\.')}$`)}`)).text();
        const m = /: (\d+)\s*$/m.exec(text);
        return m ? Number(m[1]) : 0;
      },
      async stop() {
        await envoy.stop();
        for (const p of started.reverse()) await p.stop();
      },
    };
  } catch (e) {
    for (const p of started.reverse()) await p.stop();
    throw e;
  }
}
