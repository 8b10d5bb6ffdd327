// Starts bench/lib/worker.ts in its own Node process and waits for it. The
// worker is bundled with esbuild first, as `warmroute` itself runs
// (bin/warmroute.mjs), so the sidecar is measured as users run it, not
// through tsx's development loader.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { PROJECT_ROOT } from '../../sidecar/envoy/binary.ts';
import type { WorkerRequest } from './worker.ts';

const WORKER_SOURCE = fileURLToPath(new URL('./worker.ts', import.meta.url));
const WORKER = join(PROJECT_ROOT, 'dist', 'bench-worker.mjs');
let built: Promise<unknown> | undefined;
const buildWorker = () =>
  (built ??= build({ entryPoints: [WORKER_SOURCE], outfile: WORKER, bundle: true, platform: 'node', format: 'esm', target: 'node20', packages: 'external', logLevel: 'warning' }));

export interface Child {
  pid: number;
  info: Record<string, unknown> & { port: number };
  stop(): Promise<void>;
}

export async function startWorker(req: WorkerRequest, timeoutMs = 30_000): Promise<Child> {
  await buildWorker();
  // A diagnostic knob: BENCH_SIDECAR_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" profiles the sidecar alone.
  const nodeArgs = req.mode === 'sidecar' ? (process.env.BENCH_SIDECAR_NODE_ARGS ?? '').split(' ').filter(Boolean) : [];
  const child: ChildProcess = spawn(process.execPath, [...nodeArgs, WORKER], {
    cwd: PROJECT_ROOT,
    env: {
      ...process.env,
      WARMROUTE_BENCH_WORKER: JSON.stringify(req),
      WARMROUTE_LOG: 'silent',
    },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-8000)));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const info = await new Promise<Child['info']>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`bench worker (${req.mode}) not ready after ${timeoutMs} ms\n${err}`)), timeoutMs);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /^READY (.*)$/m.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(JSON.parse(m[1]!) as Child['info']);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`bench worker (${req.mode}) exited with ${code}\n${err}`));
    });
  }).catch(async (e: unknown) => {
    if (child.exitCode === null) child.kill('SIGKILL');
    throw e;
  });
  return {
    pid: child.pid!,
    info,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(t);
    },
  };
}
