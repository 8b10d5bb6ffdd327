// The real parts a user's fleet runs, for live benchmarks: llama-swap boxes
// that start real llama-server processes, and Olla (the peer to beat). They
// are found through environment variables (../shared/docs/real-parts.md says
// how to build them); a benchmark says what it skipped when one is missing.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';

export interface RealParts {
  llamaServer: string;
  llamaSwap: string;
  olla?: string;
  /** Directory holding `<model>.gguf` for every model a trace names. */
  ggufDir: string;
}

/** The parts named by LLAMA_SERVER, LLAMA_SWAP, OLLA and GGUF_DIR, and what is missing. */
export function findRealParts(env: NodeJS.ProcessEnv = process.env): { parts?: RealParts; olla?: string; missing: string[] } {
  const missing: string[] = [];
  const have = (name: string): string | undefined => {
    const p = env[name];
    if (p && existsSync(p)) return p;
    missing.push(`${name}${p ? ` (${p} does not exist)` : ' (not set)'}`);
    return undefined;
  };
  const llamaServer = have('LLAMA_SERVER');
  const llamaSwap = have('LLAMA_SWAP');
  const ggufDir = have('GGUF_DIR');
  const olla = have('OLLA');
  if (!llamaServer || !llamaSwap || !ggufDir) return { missing, olla };
  return { parts: { llamaServer, llamaSwap, ggufDir, olla }, olla, missing };
}

export interface Process {
  stop(): Promise<void>;
}

export function startProcess(bin: string, args: string[], logFile: string, cwd?: string): { child: ChildProcess } & Process {
  const child = spawn(bin, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let log = '';
  const keep = (d: Buffer) => {
    log += d.toString();
    if (log.length > 1 << 20) log = log.slice(-(1 << 19));
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  return {
    child,
    async stop() {
      writeFileSync(logFile, log);
      if (child.exitCode !== null || child.signalCode !== null) return;
      // The whole process group: llama-swap's llama-server children too.
      try {
        process.kill(-child.pid!, 'SIGTERM');
      } catch {
        /* already gone */
      }
      const t = setTimeout(() => {
        try {
          process.kill(-child.pid!, 'SIGKILL');
        } catch {
          /* already gone */
        }
      }, 3000);
      await exited;
      clearTimeout(t);
    },
  };
}

async function waitForHttp(url: string, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    try {
      const r = await fetch(url);
      if (r.status < 500) return;
    } catch {
      /* not up yet */
    }
    if (Date.now() > until) throw new Error(`${url} did not answer within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export interface LlamaSwapBox extends Process {
  name: string;
  url: string;
  /** Real llama-server processes started so far (model loads), by model. */
  loads(): Record<string, number>;
}

export interface LlamaSwapBoxOptions {
  name: string;
  port: number;
  /** First port llama-swap hands to its llama-server children (give each box its own range). */
  startPort: number;
  models: readonly string[];
  /** Extra seconds each load takes (a tiny model loads in well under a second; real ones take seconds). */
  loadDelayS: number;
  /** llama-server parallel slots. */
  parallel: number;
  /** Boxes that may compute at once on this machine (their llama-servers share its cores: llamaServerThreadArgs). */
  concurrentBoxes: number;
  workDir: string;
  /** llama-swap's log level (default info; debug logs each swap decision: what it evicts and why a request queues). */
  logLevel?: 'debug' | 'info';
}

/**
 * Thread options for llama-server when `concurrent` of them may compute at once
 * on this machine: each gets its share of the cores. llama.cpp's workers
 * spin-wait for each other by default, and two servers that each take every
 * core (its default) collapsed together to ~250 ms per token once both were
 * busy (0.2 ms otherwise): that, not the router, stalled some bench:sessions
 * runs on this 2-core machine (their llama-server logs show it).
 */
export function llamaServerThreadArgs(concurrent: number): string[] {
  const threads = String(Math.max(1, Math.floor(availableParallelism() / Math.max(1, concurrent))));
  return ['--threads', threads, '--threads-batch', threads];
}

/**
 * One "GPU box": a real llama-swap holding one model at a time (no groups), each model a
 * real llama-server started behind `sleep loadDelayS`. Every start appends a line to a
 * file, so loads are counted from what really happened, not from anyone's report.
 */
export async function startLlamaSwapBox(parts: RealParts, o: LlamaSwapBoxOptions): Promise<LlamaSwapBox> {
  const dir = join(o.workDir, o.name);
  mkdirSync(dir, { recursive: true });
  const loadsFile = join(dir, 'loads.txt');
  writeFileSync(loadsFile, '');
  const models: Record<string, unknown> = {};
  for (const m of o.models) {
    const gguf = join(parts.ggufDir, `${m}.gguf`);
    if (!existsSync(gguf)) throw new Error(`missing ${gguf} (make it with ../shared/tools/make-tiny-gguf.py)`);
    const server = `${parts.llamaServer} -m ${gguf} --alias ${m} --host 127.0.0.1 --port \${PORT} -c ${4096 * o.parallel} --parallel ${o.parallel} --metrics ${llamaServerThreadArgs(o.concurrentBoxes).join(' ')}`;
    models[m] = { cmd: `bash -c 'echo ${m} >> ${loadsFile}; sleep ${o.loadDelayS}; exec ${server}'`, proxy: 'http://127.0.0.1:${PORT}' };
  }
  const config = join(dir, 'config.yaml');
  writeFileSync(config, stringify({ healthCheckTimeout: 60, logLevel: o.logLevel ?? 'info', logTimeFormat: 'rfc3339nano', startPort: o.startPort, models }));
  const proc = startProcess(parts.llamaSwap, ['--config', config, '--listen', `127.0.0.1:${o.port}`], join(dir, 'llama-swap.log'));
  const url = `http://127.0.0.1:${o.port}`;
  await waitForHttp(`${url}/v1/models`, 20_000);
  return {
    name: o.name,
    url,
    loads() {
      const counts: Record<string, number> = {};
      for (const line of readFileSync(loadsFile, 'utf8').split('\n')) if (line) counts[line] = (counts[line] ?? 0) + 1;
      return counts;
    },
    stop: proc.stop,
  };
}

export interface Olla extends Process {
  /** Base URL of its OpenAI-compatible proxy (append /v1/chat/completions). */
  proxyUrl: string;
}

/** Olla with static endpoints and the given balancer (its default is least-connections). */
export async function startOlla(olla: string, o: { port: number; endpoints: readonly { name: string; url: string }[]; balancer: string; workDir: string }): Promise<Olla> {
  const dir = join(o.workDir, 'olla');
  mkdirSync(dir, { recursive: true });
  const config = {
    server: { host: '127.0.0.1', port: o.port, write_timeout: '0s', request_logging: false, rate_limits: { global_requests_per_minute: 0, per_ip_requests_per_minute: 0 } },
    proxy: { engine: 'olla', profile: 'streaming', load_balancer: o.balancer, response_timeout: '15m', response_header_timeout: '5m' },
    discovery: {
      type: 'static',
      static: {
        endpoints: o.endpoints.map((e) => ({
          url: e.url,
          name: e.name,
          type: 'openai-compatible',
          priority: 100,
          model_url: '/v1/models',
          health_check_url: '/health',
          check_interval: '2s',
          check_timeout: '1s',
        })),
      },
    },
    logging: { level: 'warn' },
  };
  const file = join(dir, 'config.yaml');
  writeFileSync(file, stringify(config));
  const proc = startProcess(olla, ['--config', file], join(dir, 'olla.log'), dir);
  const base = `http://127.0.0.1:${o.port}`;
  await waitForHttp(`${base}/internal/health`, 20_000);
  return { proxyUrl: `${base}/olla/proxy`, stop: proc.stop };
}
