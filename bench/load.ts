// Benchmark: capacity through a real Envoy (issue 11). One Envoy process with
// a listener per variant and workload, side by side in one run:
//   direct     Envoy routes straight to the simulated backend (no ext_proc)
//   noop       + a no-op ext_proc server (grpc-js) that only sets the routing header (and lets
//              the response headers the same routing filter sends go on)
//   warmroute  the warmroute sidecar, Envoy config exactly as rendered from the policy
// Workloads:
//   (i)   held streams: N streaming requests opened at once and held ~holdS each
//   (ii)  short requests: a closed loop of C clients, rounds interleaved across variants
//   (iii) deep queue: D requests at once over 4 slots (warmroute queues them; direct
//         and noop leave the waiting to the backend)
//   (iv)  long run: warmroute alone, counting every non-2xx (router_unavailable above all)
// Every backend, the sidecar and the no-op server run in their own Node process; the
// load generator is this process. Sidecar CPU and RSS come from /proc.
//
//   npm run bench:load    (writes bench/results/load.{json,md}); sizes from env:
//   LOAD_STREAMS=10000 LOAD_HOLD_S=30 LOAD_CLIENTS=64 LOAD_ROUND_S=5 LOAD_ROUNDS=3 LOAD_DEEP=2000 LOAD_LONG_S=900 LOAD_LONG_REQUESTS=1000000
import { parse as parseYaml, stringify } from 'yaml';
import { freePort } from '../e2e/harness.ts';
import { backendCircuitBreakers, renderEnvoyConfig, OBSERVE_CLUSTER, SIDECAR_CLUSTER } from '../sidecar/envoy/config.ts';
import { launchEnvoy, type RunningEnvoy } from '../sidecar/envoy/launch.ts';
import { Policy } from '../sidecar/policy/schema.ts';
import type { SimSpec } from '../sim/index.ts';
import { startWorker, type Child } from './lib/children.ts';
import { burst, closedLoop, count, errorSamples, holdStreams, quantileOf, tally, type Outcome } from './lib/load-clients.ts';
import { commandLine, loadNow, machineInfo, type MachineInfo } from './lib/machine.ts';
import { cpuMs, openFileLimit, rssMB } from './lib/proc.ts';
import { round, seeded, shuffled } from './lib/stats.ts';
import { runIfMain, writeResultFiles } from './lib/results.ts';

export const VARIANTS = ['direct', 'noop', 'warmroute'] as const;
export type Variant = (typeof VARIANTS)[number];
const WORKLOADS = ['fast', 'slow', 'deep'] as const;
type Workload = (typeof WORKLOADS)[number];
const MODEL: Record<Workload, string> = { fast: 'fast-model', slow: 'slow-model', deep: 'deep-model' };
const DEEP_SLOTS = 4;
/**
 * Envoy 1.40 lets a downstream HTTP/2 connection carry 1,024 concurrent streams
 * (measured: 8 connections held at most 8,192 of 10,000; the client queues the
 * rest itself, no error), so the held-streams client opens one connection per
 * 512 streams.
 */
const heldSessions = (streams: number): number => Math.max(1, Math.ceil(streams / 512));
const STREAM_TOKENS = 4;

export interface LoadOptions {
  streams: number;
  holdS: number;
  clients: number;
  roundS: number;
  rounds: number;
  deep: number;
  longS: number;
  /** The long run ends after this many requests (or longS seconds, whichever comes first). */
  longRequests: number;
  write: boolean;
}

export function optionsFromEnv(env = process.env): LoadOptions {
  const n = (k: string, d: number): number => (env[k] !== undefined ? Number(env[k]) : d);
  return {
    streams: n('LOAD_STREAMS', 10_000),
    holdS: n('LOAD_HOLD_S', 30),
    clients: n('LOAD_CLIENTS', 64),
    roundS: n('LOAD_ROUND_S', 5),
    rounds: n('LOAD_ROUNDS', 3),
    deep: n('LOAD_DEEP', 2000),
    longS: n('LOAD_LONG_S', 900),
    longRequests: n('LOAD_LONG_REQUESTS', 1_000_000),
    write: env.LOAD_WRITE !== '0',
  };
}

interface Latency {
  n: number;
  p50: number;
  p99: number;
}

export interface LoadResult {
  benchmark: 'load';
  date: string;
  command: string;
  machine: MachineInfo & { openFileLimit: number };
  options: LoadOptions;
  setup: Record<string, string>;
  held: Record<Variant, { requested: number; peakHeld: number; incomplete: number; outcomes: Record<string, number>; openToLastS: number }>;
  short: Record<Variant, { requests: number; throughputPerS: number; latencyMs: Latency; addedMs: { p50: number; p99: number }; outcomes: Record<string, number>; processCpuMsPerRequest: number; envoyCpuMsPerRequest: number }>;
  shortRatios: { throughputWarmrouteOverNoop: number; throughputWarmrouteOverDirect: number; addedP50WarmrouteOverNoop: number };
  deep: Record<Variant, { requests: number; makespanS: number; latencyMs: Latency; outcomes: Record<string, number>; maxQueued?: number }>;
  long: { requests: number; seconds: number; throughputPerS: number; outcomes: Record<string, number>; routerUnavailable: number; non2xx: number };
  /** The first error message per kind of refusal, by phase and variant. */
  errorSamples: Record<string, Record<string, string>>;
  rss: Array<{ t: number; phase: string; sidecarMB: number; envoyMB: number }>;
  envoyStats: Record<string, number>;
  durationS: number;
}

const body = (w: Workload, extra: Record<string, unknown>): Buffer => Buffer.from(JSON.stringify({ model: MODEL[w], messages: [{ role: 'user', content: 'hi' }], ...extra }));

function latency(outcomes: readonly Outcome[]): Latency {
  const ms = outcomes.filter((o) => o.status === 200).map((o) => o.ms).sort((a, b) => a - b);
  return { n: ms.length, p50: round(quantileOf(ms, 0.5), 3), p99: round(quantileOf(ms, 0.99), 3) };
}

export async function runLoad(opts: LoadOptions, progress: (line: string) => void = (l) => console.error(l)): Promise<LoadResult> {
  const started = Date.now();
  const machine = { ...machineInfo(), openFileLimit: openFileLimit() };
  const children: Child[] = [];
  let envoy: RunningEnvoy | undefined;
  let sampler: NodeJS.Timeout | undefined;
  try {
    const specs: Record<Workload, SimSpec> = {
      fast: { kind: 'openai', models: [{ id: MODEL.fast, loaded: true }], slots: 512, ttftMs: 0, tokensPerSec: 100_000, defaultMaxTokens: 1 },
      slow: { kind: 'openai', models: [{ id: MODEL.slow, loaded: true }], slots: opts.streams, ttftMs: 0, tokensPerSec: STREAM_TOKENS / opts.holdS, defaultMaxTokens: STREAM_TOKENS },
      deep: { kind: 'openai', models: [{ id: MODEL.deep, loaded: true }], slots: DEEP_SLOTS, ttftMs: 2, tokensPerSec: 100_000, defaultMaxTokens: 1 },
    };
    const sims = {} as Record<Workload, Child>;
    for (const w of WORKLOADS) children.push((sims[w] = await startWorker({ mode: 'sim', spec: specs[w] })));
    const [listen, grpc, admin, envoyAdmin] = [await freePort(), await freePort(), await freePort(), await freePort()];
    const policy = Policy.parse({
      listen: { host: '127.0.0.1', port: listen },
      sidecar: { grpc_port: grpc, admin_port: admin },
      envoy: { admin_port: envoyAdmin },
      backends: WORKLOADS.map((w) => ({ name: w, kind: 'openai', url: `http://127.0.0.1:${sims[w].info.port}`, models: [MODEL[w]], slots: specs[w].slots })),
      scheduler: { queue: { max_length: Math.max(1024, opts.deep + 64), timeout_ms: 600_000 } },
    });
    const sidecar = await startWorker({ mode: 'sidecar', policy });
    children.push(sidecar);
    const noops = {} as Record<Workload, Child>;
    for (const w of WORKLOADS) children.push((noops[w] = await startWorker({ mode: 'noop', backend: `127.0.0.1:${sims[w].info.port}`, maxReceiveBytes: 16 * 1024 * 1024 })));

    const ports = { direct: {} as Record<Workload, number>, noop: {} as Record<Workload, number> };
    for (const w of WORKLOADS) {
      ports.direct[w] = await freePort();
      ports.noop[w] = await freePort();
    }
    const port = (v: Variant, w: Workload): number => (v === 'warmroute' ? listen : ports[v][w]);
    envoy = await launchEnvoy(bootstrap(policy, ports, Object.fromEntries(WORKLOADS.map((w) => [w, { sim: sims[w].info.port, noop: noops[w].info.port }])) as Record<Workload, { sim: number; noop: number }>), envoyAdmin);
    const envoyPid = envoy.process.pid!;
    await waitWarm(Number(sidecar.info.adminPort));
    progress(`load: Envoy, sidecar, 3 sims and 3 no-op servers up; streams=${opts.streams} clients=${opts.clients} deep=${opts.deep} long=${opts.longRequests} requests or ${opts.longS} s`);

    let phase = 'start';
    const rss: LoadResult['rss'] = [];
    const t0 = Date.now();
    const sample = (): void => {
      rss.push({ t: round((Date.now() - t0) / 1000, 1), phase, sidecarMB: rssMB(sidecar.pid), envoyMB: rssMB(envoyPid) });
    };
    sample();
    sampler = setInterval(sample, 2000);

    // (i) held streams, one variant after another.
    phase = 'held';
    const held = {} as LoadResult['held'];
    const samples: LoadResult['errorSamples'] = {};
    for (const v of ['warmroute', 'noop', 'direct'] as const) {
      const t = performance.now();
      const r = await holdStreams(port(v, 'slow'), opts.streams, body('slow', { stream: true, max_tokens: STREAM_TOKENS }), { sessions: heldSessions(opts.streams) });
      held[v] = { requested: opts.streams, peakHeld: r.peakHeld, incomplete: r.incomplete, outcomes: tally(r.outcomes), openToLastS: round((performance.now() - t) / 1000, 1) };
      samples[`held ${v}`] = errorSamples(r.outcomes);
      progress(`load (i) ${v}: peak held ${r.peakHeld} of ${opts.streams}, ${JSON.stringify(held[v].outcomes)}, incomplete ${r.incomplete}`);
    }

    // (ii) short requests, rounds interleaved in a fresh random order.
    phase = 'short';
    const rand = seeded(11);
    const shortOut: Record<Variant, Outcome[]> = { direct: [], noop: [], warmroute: [] };
    const elapsed: Record<Variant, number> = { direct: 0, noop: 0, warmroute: 0 };
    const procCpu: Record<Variant, number> = { direct: 0, noop: 0, warmroute: 0 };
    const envoyCpu: Record<Variant, number> = { direct: 0, noop: 0, warmroute: 0 };
    const fastBody = body('fast', { max_tokens: 1 });
    for (let r = 0; r < opts.rounds; r++) {
      for (const v of shuffled(VARIANTS, rand)) {
        const pid = v === 'warmroute' ? sidecar.pid : v === 'noop' ? noops.fast.pid : undefined;
        const [c0, e0] = [pid ? cpuMs(pid) : 0, cpuMs(envoyPid)];
        const res = await closedLoop(port(v, 'fast'), fastBody, opts.clients, opts.roundS, (o) => shortOut[v].push(o));
        procCpu[v] += pid ? cpuMs(pid) - c0 : 0;
        envoyCpu[v] += cpuMs(envoyPid) - e0;
        elapsed[v] += res.elapsedS;
      }
      progress(`load (ii) round ${r + 1}/${opts.rounds}: ` + VARIANTS.map((v) => `${v} ${Math.round(shortOut[v].length / elapsed[v])}/s`).join(', '));
    }
    const short = {} as LoadResult['short'];
    const lat = Object.fromEntries(VARIANTS.map((v) => [v, latency(shortOut[v])])) as Record<Variant, Latency>;
    for (const v of VARIANTS) {
      const n = shortOut[v].length;
      short[v] = {
        requests: n,
        throughputPerS: round(n / elapsed[v], 1),
        latencyMs: lat[v],
        addedMs: { p50: round(lat[v].p50 - lat.direct.p50, 3), p99: round(lat[v].p99 - lat.direct.p99, 3) },
        outcomes: tally(shortOut[v]),
        processCpuMsPerRequest: round(procCpu[v] / n, 4),
        envoyCpuMsPerRequest: round(envoyCpu[v] / n, 4),
      };
    }
    for (const v of VARIANTS) samples[`short ${v}`] = errorSamples(shortOut[v]);
    const shortRatios = {
      throughputWarmrouteOverNoop: round(short.warmroute.throughputPerS / short.noop.throughputPerS, 3),
      throughputWarmrouteOverDirect: round(short.warmroute.throughputPerS / short.direct.throughputPerS, 3),
      addedP50WarmrouteOverNoop: round(short.warmroute.addedMs.p50 / short.noop.addedMs.p50, 3),
    };

    // (iii) deep queue: every request sent at once.
    phase = 'deep';
    const deep = {} as LoadResult['deep'];
    for (const v of ['warmroute', 'noop', 'direct'] as const) {
      let maxQueued = 0;
      const poll = v === 'warmroute' ? setInterval(() => void queuedNow(Number(sidecar.info.adminPort)).then((q) => (maxQueued = Math.max(maxQueued, q))), 200) : undefined;
      const r = await burst(port(v, 'deep'), body('deep', { max_tokens: 1 }), opts.deep);
      if (poll) clearInterval(poll);
      samples[`deep ${v}`] = errorSamples(r.outcomes);
      deep[v] = { requests: opts.deep, makespanS: round(r.elapsedS, 2), latencyMs: latency(r.outcomes), outcomes: tally(r.outcomes), ...(poll ? { maxQueued } : {}) };
      progress(`load (iii) ${v}: ${opts.deep} over ${DEEP_SLOTS} slots in ${deep[v].makespanS} s, ${JSON.stringify(deep[v].outcomes)}${poll ? `, max queued ${maxQueued}` : ''}`);
    }

    // (iv) the long run through warmroute alone.
    phase = 'long';
    const longCounts: Record<string, number> = {};
    const longSamples: Record<string, string> = {};
    let longN = 0;
    const lr = await closedLoop(listen, fastBody, opts.clients, opts.longS, (o) => {
      longN++;
      count(longCounts, o);
      if (o.status !== 200) errorSamples([o], longSamples);
      if (longN % 100_000 === 0) progress(`load (iv) long run: ${longN} requests`);
    }, opts.longRequests);
    samples['long warmroute'] = longSamples;
    const non2xx = longN - (longCounts['200'] ?? 0);
    const routerUnavailable = Object.entries(longCounts).filter(([k]) => k.includes('router_unavailable')).reduce((s, [, n]) => s + n, 0);
    const long = { requests: longN, seconds: round(lr.elapsedS, 1), throughputPerS: round(longN / lr.elapsedS, 1), outcomes: longCounts, routerUnavailable, non2xx };
    progress(`load (iv) long run: ${longN} requests in ${long.seconds} s, router_unavailable ${routerUnavailable}, non-2xx ${non2xx}`);
    phase = 'end';
    sample();

    const result: LoadResult = {
      benchmark: 'load',
      date: new Date().toISOString(),
      command: commandLine('bench:load'),
      machine: { ...machine, loadavg1mAtEnd: loadNow() },
      options: opts,
      setup: {
        envoy: 'one process, --concurrency 2 (launchEnvoy); warmroute listener = renderEnvoyConfig(policy) unchanged (the routing filter, which also reads response headers; the observing filter asks for nothing outside /v1/responses); direct and noop listeners per workload, cloned from it',
        processes: 'load generator (this process); each simulated backend, the warmroute sidecar and each no-op ext_proc server in its own Node process (bench/lib/worker.ts, bundled by esbuild)',
        processors: "the no-op is a grpc-js server with proto-loader's codec (what a minimal Node ext_proc processor is built on); the sidecar serves gRPC on node:http2 with its own codec (sidecar/extproc/grpc-server.ts, codec.ts), as it does in production",
        held: `POST /v1/chat/completions stream:true over ${heldSessions(opts.streams)} HTTP/2 connections to Envoy (h2c, at most 1,024 streams each by Envoy's default), ${STREAM_TOKENS} tokens over ~${opts.holdS} s each; backend slots = ${opts.streams}`,
        short: `non-streaming, max_tokens 1, ${opts.clients} HTTP/1.1 keep-alive clients back to back, ${opts.rounds} rounds × ${opts.roundS} s per variant, interleaved in a seeded random order; CPU per request = process CPU time / requests in that variant's rounds`,
        deep: `${opts.deep} requests at once, one connection each, backend slots ${DEEP_SLOTS}; warmroute holds them in its queue, direct/noop leave them waiting inside the backend`,
        long: `warmroute only, same client as (ii), until ${opts.longRequests} requests or ${opts.longS} s`,
      },
      held,
      short,
      shortRatios,
      deep,
      long,
      errorSamples: Object.fromEntries(Object.entries(samples).filter(([, v]) => Object.keys(v).length > 0)),
      rss,
      envoyStats: await envoyStats(envoyAdmin),
      durationS: round((Date.now() - started) / 1000, 1),
    };
    if (opts.write) writeResultFiles('load', result, toMarkdown(result));
    return result;
  } finally {
    if (sampler) clearInterval(sampler);
    await envoy?.stop();
    for (const c of children.reverse()) await c.stop();
  }
}

/** The rendered config plus a direct and a no-op listener per workload. */
function bootstrap(policy: Policy, ports: Record<'direct' | 'noop', Record<Workload, number>>, upstream: Record<Workload, { sim: number; noop: number }>): string {
  type Y = Record<string, any>;
  const doc = parseYaml(renderEnvoyConfig(policy)) as { static_resources: { listeners: Y[]; clusters: Y[] } };
  const base = doc.static_resources.listeners[0]!;
  const hcmOf = (l: Y): Y => l.filter_chains[0].filters[0].typed_config;
  const router = (hcmOf(base).http_filters as Y[]).find((f) => f.name === 'envoy.filters.http.router')!;
  const sidecarCluster = doc.static_resources.clusters.find((c) => c.name === SIDECAR_CLUSTER)!;
  const staticAddress = (name: string, p: number): Y => ({ cluster_name: name, endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: '127.0.0.1', port_value: p } } } }] }] });
  const listener = (name: string, p: number, edit: (hcm: Y) => void): Y => {
    const l = structuredClone(base);
    l.name = name;
    l.address.socket_address.port_value = p;
    hcmOf(l).stat_prefix = name;
    edit(hcmOf(l));
    return l;
  };
  for (const w of WORKLOADS) {
    const direct = `bench_direct_${w}`;
    const noop = `bench_noop_${w}_extproc`;
    doc.static_resources.listeners.push(
      listener(`bench_direct_${w}`, ports.direct[w], (hcm) => {
        hcm.http_filters = [structuredClone(router)];
        hcm.route_config = { name: direct, virtual_hosts: [{ name: 'llm', domains: ['*'], routes: [{ match: { prefix: '/' }, route: { cluster: direct, timeout: '0s' } }] }] };
      }),
      listener(`bench_noop_${w}`, ports.noop[w], (hcm) => {
        const filters = (hcm.http_filters as Y[]).filter((f) => f.typed_config.grpc_service?.envoy_grpc?.cluster_name !== OBSERVE_CLUSTER);
        for (const f of filters) if (f.typed_config.grpc_service) f.typed_config.grpc_service = { envoy_grpc: { cluster_name: noop } };
        hcm.http_filters = filters;
      }),
    );
    doc.static_resources.clusters.push(
      { name: direct, type: 'STATIC', connect_timeout: '5s', circuit_breakers: backendCircuitBreakers(policy), load_assignment: staticAddress(direct, upstream[w].sim) },
      { ...structuredClone(sidecarCluster), name: noop, type: 'STATIC', load_assignment: staticAddress(noop, upstream[w].noop) },
    );
  }
  return '# warmroute bench/load.ts: the rendered config plus direct and no-op listeners per workload\n' + stringify(doc, { lineWidth: 0 });
}

async function waitWarm(adminPort: number): Promise<void> {
  const end = Date.now() + 30_000;
  while (Date.now() < end) {
    try {
      const s = (await (await fetch(`http://127.0.0.1:${adminPort}/status`)).json()) as { backends: Array<{ healthy: boolean }> };
      if (s.backends.length === WORKLOADS.length && s.backends.every((b) => b.healthy)) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('sidecar did not see every backend healthy within 30 s');
}

async function queuedNow(adminPort: number): Promise<number> {
  try {
    return ((await (await fetch(`http://127.0.0.1:${adminPort}/status`)).json()) as { queued: number }).queued;
  } catch {
    return 0;
  }
}

/** Counters that show refusals and resets on the processor clusters and filters. */
async function envoyStats(adminPort: number): Promise<Record<string, number>> {
  const text = await (await fetch(`http://127.0.0.1:${adminPort}/stats`)).text();
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const m = /^(\S+): (\d+)$/.exec(line);
    if (!m) continue;
    const key = m[1]!;
    const cluster = /^cluster\.(warmroute_sidecar\w*|bench_noop_\w+)\.(upstream_rq_total|upstream_cx_total|upstream_rq_rx_reset|upstream_rq_tx_reset|upstream_cx_destroy_remote\w*|upstream_cx_close_notify|upstream_rq_pending_overflow|upstream_cx_overflow|upstream_rq_retry_overflow|http2\.rx_reset|http2\.tx_reset|http2\.goaway_\w+)$/.test(key);
    const filter = /^http\.\w+\.ext_proc\.(streams_started|streams_failed|failure_mode_allowed|message_timeouts|spurious_msgs_received)$/.test(key);
    if (cluster || filter) out[key] = Number(m[2]);
  }
  return out;
}

const fmt = (o: Record<string, number>): string =>
  Object.entries(o)
    .map(([k, n]) => `${k}: ${n}`)
    .join(', ');

export function toMarkdown(r: LoadResult): string {
  const m = r.machine;
  const lines = [
    '# bench:load — capacity through a real Envoy',
    '',
    `Command: \`${r.command}\` (options ${JSON.stringify({ ...r.options, write: undefined })}). Date: ${r.date}. Duration: ${r.durationS} s.`,
    `Machine: ${m.cores} cores (\`nproc\`), ${m.cpu}, ${m.memoryGB} GB, ${m.platform}, Node ${m.node}, Envoy ${m.envoy}; open-file limit ${m.openFileLimit}; load average ${m.loadavg1mAtStart} at start, ${m.loadavg1mAtEnd} at end (the machine is shared with other work).`,
    '',
    ...Object.entries(r.setup).map(([k, v]) => `- ${k}: ${v}`),
    '',
    '## (i) Held streams',
    '',
    '| variant | requested | peak held at once | outcomes | ended before [DONE] | first open to last end (s) |',
    '|---|---|---|---|---|---|',
    ...(['direct', 'noop', 'warmroute'] as const).map((v) => {
      const h = r.held[v];
      return `| ${v} | ${h.requested} | ${h.peakHeld} | ${fmt(h.outcomes)} | ${h.incomplete} | ${h.openToLastS} |`;
    }),
    '',
    '## (ii) Short requests at the highest rate this box sustains',
    '',
    '| variant | requests | throughput (req/s) | p50 (ms) | p99 (ms) | added p50 / p99 over direct (ms) | outcomes | processor CPU per request (ms) | Envoy CPU per request (ms) |',
    '|---|---|---|---|---|---|---|---|---|',
    ...VARIANTS.map((v) => {
      const s = r.short[v];
      return `| ${v} | ${s.requests} | ${s.throughputPerS} | ${s.latencyMs.p50} | ${s.latencyMs.p99} | ${v === 'direct' ? '—' : `${s.addedMs.p50} / ${s.addedMs.p99}`} | ${fmt(s.outcomes)} | ${v === 'direct' ? '—' : s.processCpuMsPerRequest} | ${s.envoyCpuMsPerRequest} |`;
    }),
    '',
    `Ratios (same run): throughput warmroute / noop = **${r.shortRatios.throughputWarmrouteOverNoop}** (target ≥ 0.8), warmroute / direct = ${r.shortRatios.throughputWarmrouteOverDirect}; added p50 warmroute / noop = ${r.shortRatios.addedP50WarmrouteOverNoop}. "processor CPU per request" is the sidecar's (warmroute) or the no-op server's (noop) CPU time per answered request: for warmroute, the sidecar's CPU per decision, probes and response-header messages included.`,
    '',
    '## (iii) Deep queue',
    '',
    '| variant | requests at once | makespan (s) | p50 / p99 latency (ms) | outcomes | most queued in the sidecar |',
    '|---|---|---|---|---|---|',
    ...(['direct', 'noop', 'warmroute'] as const).map((v) => {
      const d = r.deep[v];
      return `| ${v} | ${d.requests} | ${d.makespanS} | ${d.latencyMs.p50} / ${d.latencyMs.p99} | ${fmt(d.outcomes)} | ${d.maxQueued ?? '—'} |`;
    }),
    '',
    '## (iv) Long run through warmroute',
    '',
    `${r.long.requests} requests in ${r.long.seconds} s (${r.long.throughputPerS}/s): **${r.long.routerUnavailable} router_unavailable**, ${r.long.non2xx} non-2xx in all (${fmt(r.long.outcomes)}).`,
    `With every phase counted, warmroute answered ${totalWarmroute(r)} requests here.`,
    '',
    '## What the refusals said (first message per kind)',
    '',
    ...(Object.keys(r.errorSamples).length === 0
      ? ['None: every request in every phase was answered 200.']
      : Object.entries(r.errorSamples).flatMap(([where, kinds]) => Object.entries(kinds).map(([k, m]) => `- ${where}, \`${k}\`: ${m}`))),
    '',
    '## Sidecar and Envoy RSS over the run (MB, sampled every 2 s; every 5th sample shown)',
    '',
    '| t (s) | phase | sidecar | Envoy |',
    '|---|---|---|---|',
    ...r.rss.filter((_, i) => i % 5 === 0 || i === r.rss.length - 1).map((s) => `| ${s.t} | ${s.phase} | ${s.sidecarMB} | ${s.envoyMB} |`),
    '',
    `Sidecar RSS: min ${Math.min(...r.rss.map((s) => s.sidecarMB))} MB, max ${Math.max(...r.rss.map((s) => s.sidecarMB))} MB, end ${r.rss.at(-1)?.sidecarMB} MB.`,
    '',
    '## Envoy counters on the processor clusters and filters (non-zero)',
    '',
    ...Object.entries(r.envoyStats)
      .filter(([, v]) => v > 0)
      .map(([k, v]) => `- \`${k}\`: ${v}`),
    '',
  ];
  return lines.join('\n');
}

function totalWarmroute(r: LoadResult): number {
  return r.held.warmroute.requested + r.short.warmroute.requests + r.deep.warmroute.requests + r.long.requests;
}

runIfMain(import.meta.url, () => runLoad(optionsFromEnv()), toMarkdown);
