// Benchmark: what one scheduler event costs as the queue and the fleet grow,
// and the sidecar's memory with 100,000 tracked sessions.
//
// Events (in process, the real scheduler core over the real datastore, no
// Envoy: the event's own cost). For each queue length × fleet size: every
// backend serves the same 20 models, 4 slots, 2 models at once, 2 of them
// warm; all slots are taken and `queue` more requests wait (models in turn).
// Then, per round, 50 ms of virtual time pass and three events are timed:
//   tick      a timer or probe wake-up: a dispatch cycle that changes nothing
//   complete  a running request ends: its slot goes to a queued request
//   submit    a new request arrives and queues (keeps the queue at its length)
// Reported: µs per event (p50, p90) and the growth from the shortest queue
// to the longest at the same fleet size (1.0 = flat).
//
// Memory: the sidecar as `warmroute sidecar` starts it (startSidecar: gRPC
// and admin servers, datastore, scheduler, metrics, no prober), driven
// through its request control with 100,000 requests, each with a session key
// of its own; RSS after a forced GC, before and after.
//
// Both run in child processes from an esbuild bundle of this file, as the
// product runs (bin/warmroute.mjs): tsx's loader and its name-keeping helper
// would add their own CPU and memory.
//
//   npm run bench:scale   (writes bench/results/scale.{json,md})
import { execFileSync } from 'node:child_process';
import { buildSync } from 'esbuild';
import { fileURLToPath } from 'node:url';
import { Datastore } from '../sidecar/backends/datastore.ts';
import { Policy } from '../sidecar/policy/schema.ts';
import { createScheduler } from '../sidecar/scheduler/index.ts';
import type { SchedulerOutcome } from '../sidecar/scheduler/types.ts';
import { commandLine, loadNow, machineInfo, type MachineInfo } from './lib/machine.ts';
import { runIfMain, writeResultFiles } from './lib/results.ts';
import { freePort } from '../e2e/ports.ts';
import { quantile, round } from './lib/stats.ts';

export const QUEUES = [10, 100, 1_000, 10_000] as const;
export const FLEETS = [2, 10, 50, 200] as const;
const MODELS = Array.from({ length: 20 }, (_, i) => `m${i}`);
const SLOTS = 4;
const EVENTS = ['tick', 'complete', 'submit'] as const;
type EventKind = (typeof EVENTS)[number];

export interface CellResult {
  queue: number;
  backends: number;
  rounds: number;
  /** µs per event: p50 and p90. */
  us: Record<EventKind, { p50: number; p90: number }>;
  /** Queue length after the rounds (kept at `queue`). */
  queueAfter: number;
}

export interface MemoryResult {
  sessions: number;
  trackedSessions: number;
  rssBeforeMB: number;
  rssAfterMB: number;
  heapUsedBeforeMB: number;
  heapUsedAfterMB: number;
  heapTotalAfterMB: number;
}

export interface ScaleResult {
  benchmark: 'scale';
  date: string;
  command: string;
  runSeconds: number;
  machine: MachineInfo & { nproc: number };
  cells: CellResult[];
  memory: MemoryResult;
}

export interface ScaleOptions {
  queues?: readonly number[];
  fleets?: readonly number[];
  /** Timed rounds per cell (default 200). */
  rounds?: number;
  sessions?: number;
  write?: boolean;
  progress?: (line: string) => void;
}

/** Time the three events at one queue length and fleet size. */
export function measureCell(queue: number, backends: number, rounds: number): CellResult {
  const policy = Policy.parse({
    scheduler: { queue: { max_length: queue + 1000, timeout_ms: 3_600_000 } },
    backends: Array.from({ length: backends }, (_, i) => ({ name: `b${i}`, url: `http://10.0.${i >> 8}.${i & 255}:8080`, models: MODELS, slots: SLOTS, max_models: 2 })),
  });
  const store = new Datastore(policy);
  for (let i = 0; i < backends; i++) {
    const warm = [MODELS[(2 * i) % MODELS.length]!, MODELS[(2 * i + 1) % MODELS.length]!];
    store.applyProbe(`b${i}`, { ok: true, snapshot: { healthy: true, knowsLoaded: true, loading: false, models: warm.map((id) => ({ id, state: 'warm' as const })) } }, 0);
  }
  const sched = createScheduler(policy, store);
  const running: string[] = [];
  let n = 0;
  let now = 1;
  const take = (outcomes: readonly SchedulerOutcome[]) => {
    for (const o of outcomes) if (o.type === 'dispatch') running.push(o.id);
  };
  const submit = () => {
    const id = `r${n++}`;
    take(sched.submit({ id, model: MODELS[n % MODELS.length]!, sessionKey: `s${n % 500}`, promptBytes: 1000, stream: true }, now));
    return id;
  };
  while (sched.queueLength() < queue) submit();
  const samples: Record<EventKind, number[]> = { tick: [], complete: [], submit: [] };
  const timed = (kind: EventKind, f: () => void) => {
    const t0 = process.hrtime.bigint();
    f();
    samples[kind].push(Number(process.hrtime.bigint() - t0) / 1000);
  };
  for (let r = 0; r < rounds; r++) {
    now += 50;
    timed('tick', () => take(sched.tick(now)));
    const id = running.shift();
    if (id !== undefined) timed('complete', () => take(sched.complete(id, now, { ok: true, durationMs: 5_000 })));
    let last = '';
    timed('submit', () => (last = submit()));
    // Keep the queue at its length, untimed: a freed slot may stay free (the strategy waits for a better one), or an event may dispatch several.
    if (sched.queueLength() > queue) take(sched.cancel(last, now));
    while (sched.queueLength() < queue) submit();
  }
  const us = Object.fromEntries(EVENTS.map((k) => [k, { p50: round(quantile(samples[k], 0.5), 1), p90: round(quantile(samples[k], 0.9), 1) }])) as CellResult['us'];
  return { queue, backends, rounds, us, queueAfter: sched.queueLength() };
}

/** In a child process (a fresh heap): the sidecar's RSS before and after `sessions` requests, each with its own session. */
async function memoryChild(sessions: number): Promise<MemoryResult> {
  const { startSidecar } = await import('../sidecar/app.ts');
  const policy = Policy.parse({
    listen: { port: await freePort() },
    sidecar: { grpc_port: await freePort(), admin_port: await freePort() },
    sessions: { max_entries: sessions },
    backends: [{ name: 'b0', url: 'http://127.0.0.1:9', models: ['m0'], slots: 64 }],
  });
  const sidecar = await startSidecar({ policy, probe: false, log: () => {} });
  const gc = globalThis.gc;
  if (!gc) throw new Error('run with --expose-gc');
  const rss = () => {
    gc();
    return process.memoryUsage();
  };
  const before = rss();
  for (let i = 0; i < sessions; i++) {
    // Requests reach a sidecar over gRPC, between other events: yield to the event loop now and then, as its I/O would.
    if (i % 100 === 0) await new Promise((r) => setImmediate(r));
    const id = `req-${i}`;
    // A session key as clients send them (a UUID-sized id).
    const sessionKey = `session-${i.toString(16).padStart(8, '0')}-${(i * 2654435761 >>> 0).toString(16).padStart(8, '0')}-4f1c-9a7e-1b2c3d4e5f60`;
    const { decision } = sidecar.control.admit({ id, model: 'm0', sessionKey, promptBytes: 2048, stream: true });
    const o = await decision;
    if (o.type !== 'dispatch') throw new Error(`request ${id} was refused: ${o.code}`);
    sidecar.control.finish(id, { ok: true });
  }
  // Settled: V8 returns freed pages to the system a little after a full GC.
  for (let i = 0; i < 5; i++) {
    rss();
    await new Promise((r) => setTimeout(r, 1000));
  }
  const after = rss();
  const tracked = sidecar.scheduler.trackedSessions();
  await sidecar.close();
  const mb = (b: number) => round(b / 2 ** 20, 1);
  return { sessions, trackedSessions: tracked, rssBeforeMB: mb(before.rss), rssAfterMB: mb(after.rss), heapUsedBeforeMB: mb(before.heapUsed), heapUsedAfterMB: mb(after.heapUsed), heapTotalAfterMB: mb(after.heapTotal) };
}

const BUNDLE = fileURLToPath(new URL('../dist/bench-scale.mjs', import.meta.url));

/** Run a child mode of the bundled benchmark; its last stdout line is the JSON result. */
function child<T>(args: string[]): T {
  const out = execFileSync(process.execPath, ['--expose-gc', BUNDLE, ...args], { encoding: 'utf8', maxBuffer: 1 << 24, stdio: ['ignore', 'pipe', 'inherit'] });
  return JSON.parse(out.trim().split('\n').pop()!) as T;
}

export async function run(opts: ScaleOptions = {}): Promise<ScaleResult> {
  const started = Date.now();
  const progress = opts.progress ?? ((line: string) => process.stderr.write(line + '\n'));
  const machine = { ...machineInfo(), nproc: Number(execFileSync('nproc', { encoding: 'utf8' }).trim()) };
  buildSync({ entryPoints: [fileURLToPath(import.meta.url)], outfile: BUNDLE, bundle: true, platform: 'node', format: 'esm', target: 'node20', packages: 'external', logLevel: 'warning' });
  const cells: CellResult[] = [];
  for (const backends of opts.fleets ?? FLEETS)
    for (const queue of opts.queues ?? QUEUES) {
      // One child per cell: each starts with a fresh heap, like a sidecar would.
      const cell = child<CellResult>(['--child-events', String(queue), String(backends), String(opts.rounds ?? 200)]);
      progress(`queue ${queue} × ${backends} backends: tick ${cell.us.tick.p50} µs, complete ${cell.us.complete.p50} µs, submit ${cell.us.submit.p50} µs`);
      cells.push(cell);
    }
  const sessions = opts.sessions ?? 100_000;
  const mem = child<MemoryResult>(['--child-memory', String(sessions)]);
  progress(`${sessions} sessions: RSS ${mem.rssBeforeMB} → ${mem.rssAfterMB} MB`);
  machine.loadavg1mAtEnd = loadNow();
  const result: ScaleResult = {
    benchmark: 'scale',
    date: new Date().toISOString(),
    command: commandLine('bench:scale'),
    runSeconds: round((Date.now() - started) / 1000, 1),
    machine,
    cells,
    memory: mem,
  };
  if (opts.write !== false) writeResultFiles('scale', result, toMarkdown(result));
  return result;
}

export function toMarkdown(r: ScaleResult): string {
  const m = r.machine;
  const fleets = [...new Set(r.cells.map((c) => c.backends))];
  const queues = [...new Set(r.cells.map((c) => c.queue))];
  const cell = (q: number, b: number) => r.cells.find((c) => c.queue === q && c.backends === b)!;
  // Growth is read from the first queue at which every model has a request waiting (as many lanes as at 10,000).
  const from = queues.find((q) => q >= MODELS.length) ?? queues[0]!;
  const lines = [
    '# Scale: the cost of one scheduler event, and memory with 100,000 sessions',
    '',
    `- Date: ${r.date}`,
    `- Command: \`${r.command}\` (run time ${r.runSeconds} s)`,
    `- Machine: ${m.cpu}, nproc ${m.nproc}, ${m.memoryGB} GB; ${m.platform}; Node ${m.node}; load average (1 min) at start ${m.loadavg1mAtStart}, at end ${m.loadavg1mAtEnd}`,
    `- Setup: the real scheduler core (warm-first) over the real datastore, one child process per cell run from an esbuild bundle (as bin/warmroute.mjs runs the product). Every backend serves 20 models, ${SLOTS} slots, 2 models at once, 2 warm; all slots taken, then the queue filled (models in turn). Per round 50 ms of virtual time pass and three events are timed (wall clock): tick (a wake-up that changes nothing), complete (a request ends; its slot goes to a queued one), submit (a request arrives and queues). ${r.cells[0]?.rounds ?? 0} rounds per cell.`,
    '- Target (issue 11): ≤ 1 ms per event at 1,000 queued × 50 backends, and work per event that does not grow with the queue.',
    '',
    '## µs per event, p50 (p90)',
    '',
    `| backends | event | ${queues.map((q) => `queue ${q}`).join(' | ')} | growth ${from} → ${queues[queues.length - 1]} (p50 ratio) |`,
    `|---|---|${queues.map(() => '---|').join('')}---|`,
  ];
  for (const b of fleets)
    for (const e of EVENTS) {
      const first = cell(from, b).us[e].p50;
      const last = cell(queues[queues.length - 1]!, b).us[e].p50;
      lines.push(`| ${b} | ${e} | ${queues.map((q) => `${cell(q, b).us[e].p50} (${cell(q, b).us[e].p90})`).join(' | ')} | ${round(last / first, 2)} |`);
    }
  const mem = r.memory;
  lines.push(
    '',
    `Growth is read from queue ${from}: below ${MODELS.length} waiting requests not every model has one, so a pass has fewer lanes to look at (queue 10 is cheaper for that reason, not because the queue is short). The p90 column carries the machine's load: other processes preempting the timed call.`,
    '',
    '## Memory with tracked sessions',
    '',
    `The sidecar (startSidecar: gRPC and admin servers, datastore, scheduler, metrics; no prober) in a child process run from an esbuild bundle as the product runs, driven through its request control with ${mem.sessions} requests, each with a session key of its own (UUID-sized). RSS after forced GCs and 5 s of rest (V8 returns freed pages a little after a full GC); requests go through one at a time, yielding to the event loop every 100 as gRPC I/O would.`,
    '',
    '| sessions tracked | RSS before (MB) | RSS after (MB) | JS heap used before → after (MB) | JS heap reserved after (MB) |',
    '|---|---|---|---|---|',
    `| ${mem.trackedSessions} | ${mem.rssBeforeMB} | ${mem.rssAfterMB} | ${mem.heapUsedBeforeMB} → ${mem.heapUsedAfterMB} | ${mem.heapTotalAfterMB} |`,
    '',
    'Target (issue 11): RSS < 150 MB with 100,000 sessions.',
    '',
  );
  return lines.join('\n');
}

const [mode, ...args] = process.argv.slice(2);
const answer = (r: unknown) => process.stdout.write(JSON.stringify(r) + '\n');
if (mode === '--child-events') answer(measureCell(Number(args[0]), Number(args[1]), Number(args[2])));
else if (mode === '--child-memory')
  void memoryChild(Number(args[0])).then(
    (r) => {
      answer(r);
      process.exit(0);
    },
    (e: unknown) => {
      console.error(e);
      process.exit(1);
    },
  );
else runIfMain(import.meta.url, () => run(), toMarkdown);
