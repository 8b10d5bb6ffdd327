// `warmroute up` in its own process, as a user runs it (real Envoy + the sidecar),
// for live benchmarks: ready when Envoy answers and every backend probed healthy.
import { spawn } from 'node:child_process';
import { createWriteStream, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { freePort } from '../../e2e/harness.ts';
import { PROJECT_ROOT } from '../../sidecar/envoy/binary.ts';
import type { PolicyInput } from '../../sidecar/policy/schema.ts';

export interface WarmrouteUp {
  /** Envoy's listener, e.g. http://127.0.0.1:40123 */
  url: string;
  /** The sidecar's admin server (status, metrics). */
  adminUrl: string;
  stop(): Promise<void>;
}

/** Poll `url` until it answers 2xx and `ok(body)` holds. */
export async function waitUntil(url: string, ok: (body: string) => boolean, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    try {
      const r = await fetch(url);
      if (r.ok && ok(await r.text())) return;
    } catch {
      /* not up yet */
    }
    if (Date.now() > until) throw new Error(`${url} not ready within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

export interface WarmrouteUpOptions {
  /**
   * Diagnosis: `--log-requests` (one line per routing decision) and the whole log
   * streamed to workDir/warmroute.log as it is written (by default only its last
   * 20 kB is written there, at stop).
   */
  fullLog?: boolean;
}

/** Start warmroute with `policy` (listen, sidecar and Envoy admin ports are chosen here); its log goes to workDir. */
export async function startWarmrouteUp(policy: Omit<PolicyInput, 'listen' | 'sidecar' | 'envoy'>, workDir: string, o: WarmrouteUpOptions = {}): Promise<WarmrouteUp> {
  const [port, grpc, admin, envoyAdmin] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const full: PolicyInput = { ...policy, listen: { host: '127.0.0.1', port }, sidecar: { grpc_port: grpc, admin_port: admin }, envoy: { admin_port: envoyAdmin } };
  const file = join(workDir, 'warmroute.yaml');
  writeFileSync(file, stringify(full));
  const child = spawn(process.execPath, [join(PROJECT_ROOT, 'bin', 'warmroute.mjs'), 'up', '--policy', file, ...(o.fullLog ? ['--log-requests'] : [])], {
    cwd: PROJECT_ROOT,
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, WARMROUTE_LOG_FORMAT: 'json' },
  });
  let log = '';
  const fullLog = o.fullLog ? createWriteStream(join(workDir, 'warmroute.log')) : undefined;
  child.stderr!.on('data', (d: Buffer) => {
    log = (log + d.toString()).slice(-20_000);
    fullLog?.write(d);
  });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const stop = async (): Promise<void> => {
    if (!fullLog) writeFileSync(join(workDir, 'warmroute.log'), log);
    if (child.exitCode !== null) return;
    child.kill('SIGINT');
    const t = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(t);
    fullLog?.end();
  };
  const adminUrl = `http://127.0.0.1:${admin}`;
  try {
    await waitUntil(`http://127.0.0.1:${port}/v1/models`, () => true, 60_000);
    await waitUntil(`${adminUrl}/status`, (b) => (JSON.parse(b) as { backends: { healthy: boolean }[] }).backends.every((x) => x.healthy), 60_000);
  } catch (e) {
    await stop();
    throw new Error(`${e instanceof Error ? e.message : String(e)}\n${log}`);
  }
  return { url: `http://127.0.0.1:${port}`, adminUrl, stop };
}
