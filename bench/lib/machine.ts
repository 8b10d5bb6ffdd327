// What a result file records about where and how it was produced.
import { execFileSync } from 'node:child_process';
import { cpus, loadavg, totalmem } from 'node:os';
import { relative } from 'node:path';
import { findEnvoy, PROJECT_ROOT } from '../../sidecar/envoy/binary.ts';

export interface MachineInfo {
  cpu: string;
  cores: number;
  memoryGB: number;
  node: string;
  envoy: string;
  platform: string;
  loadavg1mAtStart: number;
  /** Set when the run ends: other work on the machine shows up here. */
  loadavg1mAtEnd?: number;
}

export function envoyVersion(): string {
  try {
    const out = execFileSync(findEnvoy(), ['--version'], { encoding: 'utf8' });
    return /version: \S+?\/(\d+\.\d+\.\d+)\//.exec(out)?.[1] ?? out.trim();
  } catch (e) {
    return `unknown (${e instanceof Error ? e.message : String(e)})`;
  }
}

export function machineInfo(): MachineInfo {
  return {
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    memoryGB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    envoy: envoyVersion(),
    platform: `${process.platform} ${process.arch}`,
    loadavg1mAtStart: Number(loadavg()[0]!.toFixed(2)),
  };
}

/** Load average now (1 min). */
export function loadNow(): number {
  return Number(loadavg()[0]!.toFixed(2));
}

/** The command that produced this run: the npm script when run through npm, else the tsx invocation. */
export function commandLine(script: string): string {
  const ev = process.env.npm_lifecycle_event;
  if (ev === script) return `npm run ${script}`;
  const file = process.argv[1] ? relative(PROJECT_ROOT, process.argv[1]) : '?';
  return `npx tsx ${file}${process.argv.length > 2 ? ' ' + process.argv.slice(2).join(' ') : ''}`;
}

/** The results files' "Machine:" line; `envoy` for benchmarks that run Envoy. */
export function machineLine(m: MachineInfo, opts: { envoy?: boolean } = {}): string {
  return `- Machine: ${m.cpu}, ${m.cores} cores, ${m.memoryGB} GB; ${m.platform}; Node ${m.node};${opts.envoy ? ` Envoy ${m.envoy};` : ''} load average (1 min) at start ${m.loadavg1mAtStart}, at end ${m.loadavg1mAtEnd ?? '?'}`;
}
