// Runs a real Envoy process with a rendered config and waits until it is ready.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findEnvoy } from './binary.ts';

export interface RunningEnvoy {
  process: ChildProcess;
  configPath: string;
  adminPort: number;
  /** Envoy's log so far (stderr), for error reports. */
  output(): string;
  stop(): Promise<void>;
}

export async function launchEnvoy(configYaml: string, adminPort: number, opts: { bin?: string; logLevel?: string; inheritOutput?: boolean } = {}): Promise<RunningEnvoy> {
  const bin = findEnvoy(opts.bin);
  const dir = mkdtempSync(join(tmpdir(), 'warmroute-envoy-'));
  const configPath = join(dir, 'envoy.yaml');
  writeFileSync(configPath, configYaml);
  // --disable-hot-restart: several Envoys (tests, a user's own) may run on one host.
  const child = spawn(bin, ['-c', configPath, '--disable-hot-restart', '--concurrency', '2', '-l', opts.logLevel ?? 'warn'], {
    stdio: ['ignore', opts.inheritOutput ? 'inherit' : 'pipe', opts.inheritOutput ? 'inherit' : 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-20_000)));
  child.stderr?.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-20_000)));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const deadline = Date.now() + 20_000;
  for (;;) {
    const code = await Promise.race([exited, new Promise<'wait'>((r) => setTimeout(() => r('wait'), 100))]);
    if (code !== 'wait') throw new Error(`envoy exited with ${code} before it was ready:\n${out}`);
    try {
      const res = await fetch(`http://127.0.0.1:${adminPort}/ready`);
      if (res.status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`envoy not ready after 20 s:\n${out}`);
    }
  }
  return {
    process: child,
    configPath,
    adminPort,
    output: () => out,
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(t);
    },
  };
}
