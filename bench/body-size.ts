// Benchmark: what the ext_proc hop costs as request bodies grow.
//
// One Envoy process with one listener per variant, all reaching the same
// simulated backend:
//   direct                (a) Envoy routes straight to the backend (no ext_proc)
//   noop                  (b) + a no-op ext_proc server (grpc-js, the project's protos) that
//                           only sets the ORIGINAL_DST header: the floor of this design
//   noop_parse            the no-op server running warmroute's parseRequest on the body first
//   warmroute_no_observe  the warmroute sidecar without response observation (no response headers sent to it)
//   noop_observe          noop with the rendered response observation, pointed at the no-op server
//   warmroute             (c) the warmroute sidecar, Envoy config exactly as rendered
//                           (routing filter + the observability-mode filter)
// The extra variants split warmroute's cost into parse, the rest of the sidecar,
// and the second (observability) filter.
// Requests are sequential (concurrency 1) and interleaved: every round sends
// one request per variant in a fresh random order, so machine noise and
// "who ran just before" effects hit all variants alike. By default the sidecar
// and both no-op servers share one Node process (see BodyBenchOptions.layout).
// Also, in process: warmroute's parseRequest vs JSON.parse on the same bodies.
//
//   npm run bench:body   (writes bench/results/body-size.{json,md})
import { parse as parseYaml, stringify } from 'yaml';
import { freePort } from '../e2e/harness.ts';
import { renderEnvoyConfig } from '../sidecar/envoy/config.ts';
import { launchEnvoy, type RunningEnvoy } from '../sidecar/envoy/launch.ts';
import { Policy } from '../sidecar/policy/schema.ts';
import { parseRequest } from '../sidecar/request/parse.ts';
import { agenticBody, BENCH_MODEL, sizeLabel } from './lib/bodies.ts';
import { startWorker, type Child } from './lib/children.ts';
import { postTimed, target, type Target } from './lib/client.ts';
import { commandLine, loadNow, machineInfo, type MachineInfo, machineLine } from './lib/machine.ts';
import { pairedBootstrap, quantile, round, seeded, shuffled, summarize, type Summary } from './lib/stats.ts';
import { runIfMain, writeResultFiles } from './lib/results.ts';

export const VARIANTS = ['direct', 'noop', 'noop_parse', 'warmroute_no_observe', 'noop_observe', 'warmroute'] as const;
export type Variant = (typeof VARIANTS)[number];

/** Ratios of added latency over direct: (num − direct) / (den − direct). The first is the brief's (c−a)/(b−a). */
export const RATIOS = [
  { key: 'warmroute/noop', num: 'warmroute', den: 'noop' },
  { key: 'warmroute_no_observe/noop', num: 'warmroute_no_observe', den: 'noop' },
  { key: 'noop_parse/noop', num: 'noop_parse', den: 'noop' },
  { key: 'noop_observe/noop', num: 'noop_observe', den: 'noop' },
  { key: 'warmroute/noop_observe', num: 'warmroute', den: 'noop_observe' },
] as const satisfies ReadonlyArray<{ key: string; num: Variant; den: Variant }>;
export type RatioKey = (typeof RATIOS)[number]['key'];

export const DEFAULT_SIZES = [1024, 100 * 1024, 400 * 1024, 1024 * 1024];
/** Measured rounds per size (one request per variant per round). */
export function defaultIterations(bytes: number): number {
  if (bytes <= 100 * 1024) return 500;
  if (bytes <= 400 * 1024) return 300;
  return 200;
}
/** The §9 target: warmroute's added latency within 15 % of the no-op processor's. */
export const TARGET_RATIO = 1.15;
/** Reference: /work/shared/docs/envoy-extproc.md §9, added p50 over plain Envoy (one run, 2 cores, --concurrency 1). */
export const REFERENCE_9 = {
  '1 KB': { noop: 1.4, jsonParse: 1.3 },
  '100 KB': { noop: 1.8, jsonParse: 1.9 },
  '400 KB': { noop: 3.0, jsonParse: 5.0 },
  '1 MB': { noop: 5.5, jsonParse: 10.4 },
} as Record<string, { noop: number; jsonParse: number }>;

const PATH = '/v1/chat/completions';

export interface BodyBenchOptions {
  /** Measured rounds per size: one number for all sizes, or the default schedule. */
  iterations?: number;
  /** Body sizes in bytes. */
  sizes?: number[];
  /** Warm-up rounds per size (default: 40, at most `iterations`). */
  warmup?: number;
  /** Write bench/results/body-size.{json,md} (default true). */
  write?: boolean;
  /**
   * shared (default): the warmroute sidecar and both no-op servers in one Node process, so every
   * processor runs under the same process conditions (scheduling, wake-up, heap); separate: each in its own.
   */
  layout?: 'shared' | 'separate';
  /** Diagnostic (shared layout): noop_parse answers with warmroute's full response shape (request id header, dynamic metadata). */
  noopParseFullResponse?: boolean;
  /** Progress lines (default: stderr). */
  progress?: (line: string) => void;
}

export interface SizeResult {
  label: string;
  bytes: number;
  rounds: number;
  warmup: number;
  latencyMs: Record<Variant, Summary>;
  /** Non-200 answers per variant (their rounds are left out of every statistic), with the first few messages. */
  errors: Record<Variant, number>;
  errorSamples: string[];
  /** p50/p90 of each variant minus the same percentile of `direct`. */
  addedMs: Record<Exclude<Variant, 'direct'>, { p50: number; p90: number }>;
  /** (num − direct) / (den − direct) at p50 and p90, with a 90 % paired-bootstrap interval at p50. */
  ratios: Record<RatioKey, { p50: number; p90: number; p50ci90: [number, number] }>;
  /** Added latency of response observation: with the sidecar (warmroute − warmroute_no_observe) and with the no-op server (noop_observe − noop). */
  observeCostMs: { warmroute: { p50: number; p90: number }; noop: { p50: number; p90: number } };
  /** Against the 15 % target, from the p50 ratio and its interval. */
  verdict: 'within' | 'over' | 'inconclusive';
  parse: { parseRequestUs: number; jsonParseUs: number; ratio: number; reps: number; callsPerRep: number };
}

export interface BodyBenchResult {
  benchmark: 'body-size';
  date: string;
  command: string;
  machine: MachineInfo;
  setup: Record<string, unknown>;
  target: string;
  sizes: SizeResult[];
  /** Envoy counters at the end of the run for the ext_proc clusters and filters (resets, failures, stream counts). */
  envoyStats: Record<string, number>;
  durationS: number;
}

/** The rendered warmroute listener plus one listener per other variant, all in one Envoy. */
function benchBootstrap(policy: Policy, ports: Record<Variant, number>, noopPorts: { noop: number; noop_parse: number }, simPort: number): string {
  const doc = parseYaml(renderEnvoyConfig(policy)) as {
    static_resources: { listeners: Array<Record<string, any>>; clusters: Array<Record<string, any>> };
  };
  type Filter = { name: string; typed_config: Record<string, any> };
  const base = doc.static_resources.listeners[0]!;
  const hcmOf = (l: Record<string, any>): Record<string, any> => l.filter_chains[0].filters[0].typed_config;
  const router = (hcmOf(base).http_filters as Filter[]).find((f) => f.name === 'envoy.filters.http.router')!;
  const listener = (variant: Variant, edit: (hcm: Record<string, any>) => void): Record<string, any> => {
    const l = structuredClone(base);
    l.name = `bench_${variant}`;
    l.address.socket_address.port_value = ports[variant];
    const hcm = hcmOf(l);
    hcm.stat_prefix = `bench_${variant}`;
    edit(hcm);
    return l;
  };
  /**
   * Point the ext_proc filters at `cluster`; keep or drop response observation
   * (the routing filter reading response headers, and the /v1/responses observer).
   */
  const processor = (cluster: string, observe: boolean) => (hcm: Record<string, any>): void => {
    let filters = hcm.http_filters as Filter[];
    if (!observe) {
      filters = filters.filter((f) => f.name !== 'warmroute.observe');
      for (const f of filters) {
        if (!f.typed_config.processing_mode) continue;
        f.typed_config.processing_mode.response_header_mode = 'SKIP';
        delete f.typed_config.response_attributes;
      }
    }
    for (const f of filters) if (f.typed_config.grpc_service) f.typed_config.grpc_service = { envoy_grpc: { cluster_name: cluster } };
    hcm.http_filters = filters;
  };
  const listeners = [
    listener('direct', (hcm) => {
      hcm.http_filters = [structuredClone(router)];
      hcm.route_config = {
        name: 'bench_direct',
        virtual_hosts: [{ name: 'llm', domains: ['*'], routes: [{ match: { prefix: '/' }, route: { cluster: 'bench_direct', timeout: '0s' } }] }],
      };
    }),
    listener('noop', processor('bench_noop_extproc', false)),
    listener('noop_parse', processor('bench_noop_parse_extproc', false)),
    listener('warmroute_no_observe', processor('warmroute_sidecar', false)),
    listener('noop_observe', processor('bench_noop_extproc', true)),
    listener('warmroute', () => {}),
  ];
  const sidecarCluster = doc.static_resources.clusters.find((c) => c.name === 'warmroute_sidecar')!;
  const noopClusters = (['noop', 'noop_parse'] as const).map((v) => {
    const c = structuredClone(sidecarCluster);
    c.name = `bench_${v}_extproc`;
    c.type = 'STATIC';
    c.load_assignment = {
      cluster_name: c.name,
      endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: '127.0.0.1', port_value: noopPorts[v] } } } }] }],
    };
    return c;
  });
  const direct = {
    name: 'bench_direct',
    type: 'STATIC',
    connect_timeout: '5s',
    load_assignment: {
      cluster_name: 'bench_direct',
      endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: '127.0.0.1', port_value: simPort } } } }] }],
    },
  };
  doc.static_resources.listeners = listeners;
  doc.static_resources.clusters.push(...noopClusters, direct);
  return '# warmroute bench/body-size.ts: the rendered config plus one listener per variant\n' + stringify(doc, { lineWidth: 0 });
}

/** Per-call cost of warmroute's parseRequest and of JSON.parse on the same Buffer, interleaved in short batches. */
function parseCost(body: Buffer, reps: number): SizeResult['parse'] {
  const headers = new Map<string, string>();
  const policy = Policy.parse({ backends: [{ name: 'x', url: 'http://127.0.0.1:1' }] });
  const session = { headers: policy.sessions.headers, prefixHash: policy.sessions.prefix_hash };
  const callsPerRep = Math.max(1, Math.round((200 * 1024) / body.length));
  let sink = 0;
  const scan = (): void => {
    sink += parseRequest('openai-chat', body, headers, session).bodyBytes;
  };
  const full = (): void => {
    sink += (JSON.parse(body.toString('utf8')) as { messages: unknown[] }).messages.length;
  };
  for (let i = 0; i < 5; i++) {
    scan();
    full();
  }
  const a: number[] = [];
  const b: number[] = [];
  const time = (fn: () => void): number => {
    const t = performance.now();
    for (let k = 0; k < callsPerRep; k++) fn();
    return ((performance.now() - t) / callsPerRep) * 1000;
  };
  for (let r = 0; r < reps; r++) {
    if (r % 2 === 0) {
      a.push(time(scan));
      b.push(time(full));
    } else {
      b.push(time(full));
      a.push(time(scan));
    }
  }
  if (sink === 0) throw new Error('unreachable');
  const parseRequestUs = quantile(a, 0.5);
  const jsonParseUs = quantile(b, 0.5);
  return { parseRequestUs: round(parseRequestUs, 1), jsonParseUs: round(jsonParseUs, 1), ratio: round(parseRequestUs / jsonParseUs, 3), reps, callsPerRep };
}

async function untilOk(t: Target, body: Buffer, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < end) {
    try {
      const r = await postTimed(t, PATH, body);
      if (r.status === 200 && (JSON.parse(r.body) as { object?: string }).object === 'chat.completion') return;
      last = `HTTP ${r.status} ${r.body.slice(0, 200)}`;
    } catch (e) {
      last = String(e);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${t.name} never answered 200: ${last}`);
}

function verdict(ci: [number, number]): SizeResult['verdict'] {
  if (ci[1] <= TARGET_RATIO) return 'within';
  if (ci[0] > TARGET_RATIO) return 'over';
  return 'inconclusive';
}

export async function run(opts: BodyBenchOptions = {}): Promise<BodyBenchResult> {
  const started = Date.now();
  process.env.WARMROUTE_LOG = 'silent';
  const progress = opts.progress ?? ((s: string) => process.stderr.write(s + '\n'));
  const sizes = opts.sizes ?? DEFAULT_SIZES;
  const machine = machineInfo();
  const bodies = new Map(sizes.map((s) => [s, agenticBody(s)]));

  const children: Child[] = [];
  let envoy: RunningEnvoy | undefined;
  const targets: Target[] = [];
  try {
    const simSpec = { kind: 'openai' as const, models: [{ id: BENCH_MODEL, loaded: true }], ttftMs: 0, tokensPerSec: 1_000_000, defaultMaxTokens: 4, slots: 4 };
    const sim = await startWorker({ mode: 'sim', spec: simSpec });
    children.push(sim);
    const simUrl = String(sim.info.url);
    const ports = Object.fromEntries(await Promise.all(VARIANTS.map(async (v) => [v, await freePort()] as const))) as Record<Variant, number>;
    const [grpcPort, adminPort, envoyAdmin] = [await freePort(), await freePort(), await freePort()];
    const policy = Policy.parse({
      listen: { host: '127.0.0.1', port: ports.warmroute },
      sidecar: { grpc_port: grpcPort, admin_port: adminPort },
      envoy: { admin_port: envoyAdmin },
      backends: [{ name: 'sim', kind: 'openai', url: simUrl, models: [BENCH_MODEL] }],
    });
    const maxReceiveBytes = policy.envoy.max_body_bytes + 1024 * 1024;
    const backend = `127.0.0.1:${sim.info.port}`;
    const layout = opts.layout ?? 'shared';
    let noopPorts: { noop: number; noop_parse: number };
    if (layout === 'shared') {
      const procs = await startWorker({ mode: 'processors', policy, backend, maxReceiveBytes, noopParseFullResponse: opts.noopParseFullResponse === true });
      children.push(procs);
      noopPorts = { noop: Number(procs.info.noopPort), noop_parse: Number(procs.info.noopParsePort) };
      progress(`body-size: envoy ${machine.envoy}, layout shared: sim pid ${sim.pid}, processors pid ${procs.pid}`);
    } else {
      const [noop, noopParse, sidecar] = await Promise.all([
        startWorker({ mode: 'noop', backend, maxReceiveBytes }),
        startWorker({ mode: 'noop', backend, maxReceiveBytes, parse: true }),
        startWorker({ mode: 'sidecar', policy }),
      ]);
      children.push(noop, noopParse, sidecar);
      noopPorts = { noop: noop.info.port, noop_parse: noopParse.info.port };
      progress(`body-size: envoy ${machine.envoy}, layout separate: pids sim=${sim.pid} noop=${noop.pid} noop_parse=${noopParse.pid} sidecar=${sidecar.pid}`);
    }
    envoy = await launchEnvoy(benchBootstrap(policy, ports, noopPorts, sim.info.port), envoyAdmin);
    for (const v of VARIANTS) targets.push(target(v, ports[v]));
    for (const t of targets) await untilOk(t, bodies.get(sizes[0]!)!);

    const results: SizeResult[] = [];
    for (const bytes of sizes) {
      const body = bodies.get(bytes)!;
      const rounds = opts.iterations ?? defaultIterations(bytes);
      const warmup = Math.min(opts.warmup ?? 40, rounds);
      const rows: Array<Record<Variant, number>> = [];
      const errors = Object.fromEntries(VARIANTS.map((v) => [v, 0])) as Record<Variant, number>;
      const errorSamples: string[] = [];
      const t0 = Date.now();
      const rand = seeded(bytes);
      for (let i = -warmup; i < rounds; i++) {
        const row = {} as Record<Variant, number>;
        let failed = false;
        for (const t of shuffled(targets, rand)) {
          const res = await postTimed(t, PATH, body);
          row[t.name as Variant] = res.ms;
          if (res.status !== 200) {
            failed = true;
            errors[t.name as Variant]++;
            const msg = `${t.name} (${sizeLabel(bytes)}): HTTP ${res.status} ${res.body.slice(0, 400).replace(/\s+/g, ' ').trim()}`;
            if (errorSamples.length < 5) errorSamples.push(msg);
            progress(`body-size: ${msg}`);
          }
        }
        // A round with an error is left out whole (a fast error would look like a fast route).
        if (i >= 0 && !failed) rows.push(row);
        const errorCount = Object.values(errors).reduce((a, b) => a + b, 0);
        if (errorCount > Math.max(10, rounds * 0.1)) throw new Error(`too many errors at ${sizeLabel(bytes)}:\n${errorSamples.join('\n')}`);
      }
      const col = (v: Variant): number[] => rows.map((r) => r[v]);
      const latencyMs = Object.fromEntries(VARIANTS.map((v) => [v, roundSummary(summarize(col(v)))])) as Record<Variant, Summary>;
      const raw = Object.fromEntries(VARIANTS.map((v) => [v, summarize(col(v))])) as Record<Variant, Summary>;
      const added = (v: Variant, p: 'p50' | 'p90'): number => raw[v][p] - raw.direct[p];
      const ratioOf = (num: Variant, den: Variant): SizeResult['ratios'][RatioKey] => {
        const stat = (c: Record<Variant, number[]>): number => (quantile(c[num], 0.5) - quantile(c.direct, 0.5)) / (quantile(c[den], 0.5) - quantile(c.direct, 0.5));
        const ci = pairedBootstrap(rows, stat, { seed: bytes });
        return {
          p50: round(added(num, 'p50') / added(den, 'p50'), 3),
          p90: round(added(num, 'p90') / added(den, 'p90'), 3),
          p50ci90: [round(ci.lo, 3), round(ci.hi, 3)],
        };
      };
      const ratios = Object.fromEntries(RATIOS.map((q) => [q.key, ratioOf(q.num, q.den)])) as SizeResult['ratios'];
      const addedMs = Object.fromEntries(
        VARIANTS.filter((v) => v !== 'direct').map((v) => [v, { p50: round(added(v, 'p50'), 3), p90: round(added(v, 'p90'), 3) }]),
      ) as SizeResult['addedMs'];
      const diff = (x: Variant, y: Variant) => ({ p50: round(raw[x].p50 - raw[y].p50, 3), p90: round(raw[x].p90 - raw[y].p90, 3) });
      const r: SizeResult = {
        label: sizeLabel(bytes),
        bytes: body.length,
        rounds,
        warmup,
        latencyMs,
        errors,
        errorSamples,
        addedMs,
        ratios,
        observeCostMs: { warmroute: diff('warmroute', 'warmroute_no_observe'), noop: diff('noop_observe', 'noop') },
        verdict: verdict(ratios['warmroute/noop'].p50ci90),
        parse: { parseRequestUs: NaN, jsonParseUs: NaN, ratio: NaN, reps: 0, callsPerRep: 0 },
      };
      results.push(r);
      progress(
        `body-size ${r.label}: ${rounds} rounds in ${((Date.now() - t0) / 1000).toFixed(1)} s; p50 ` +
          VARIANTS.map((v) => `${v}=${latencyMs[v].p50}`).join(' ') +
          ` ms; (c−a)/(b−a)=${r.ratios['warmroute/noop'].p50} [${r.ratios['warmroute/noop'].p50ci90.join(', ')}]`,
      );
    }

    // In process, after the Envoy runs (the helper processes are idle but for the sidecar's 2 s probes).
    const reps = opts.iterations !== undefined ? Math.max(3, Math.min(60, opts.iterations)) : 60;
    for (const r of results) r.parse = parseCost(bodies.get(sizes[results.indexOf(r)]!)!, reps);

    const result: BodyBenchResult = {
      benchmark: 'body-size',
      date: new Date().toISOString(),
      command: commandLine('bench:body'),
      machine,
      setup: {
        envoy: 'one process, --concurrency 2 (launchEnvoy), one listener per variant, same backend; warmroute listener = renderEnvoyConfig(policy) unchanged',
        processes:
          (opts.layout ?? 'shared') === 'shared'
            ? 'client (this process); simulated backend in its own Node process; warmroute sidecar and both no-op ext_proc servers together in one other Node process'
            : 'client (this process); simulated backend, each no-op ext_proc server and the warmroute sidecar each in its own Node process',
        backend: simSpec,
        request: `POST ${PATH}, non-streaming agentic chat body (bench/lib/bodies.ts), no session header (sidecar hashes the prefix), keep-alive, concurrency 1`,
        order: 'every round sends one request per variant, in a fresh (seeded) random order',
        layout: opts.layout ?? 'shared',
        policy: 'defaults (original_dst, prefix_hash on, probing every 2 s)',
      },
      target: `warmroute's added latency over direct within ${Math.round((TARGET_RATIO - 1) * 100)} % of the no-op processor's: (warmroute − direct) / (noop − direct) ≤ ${TARGET_RATIO} at p50`,
      sizes: results,
      envoyStats: await extProcStats(envoyAdmin),
      durationS: round((Date.now() - started) / 1000, 1),
    };
    machine.loadavg1mAtEnd = loadNow();
    if (opts.write !== false) writeResults(result);
    return result;
  } finally {
    for (const t of targets) t.agent.destroy();
    await envoy?.stop();
    for (const c of children.reverse()) await c.stop();
  }
}

/** The counters that tell whether ext_proc streams failed or were reset (per cluster and per listener's filters). */
async function extProcStats(adminPort: number): Promise<Record<string, number>> {
  try {
    const text = await (await fetch(`http://127.0.0.1:${adminPort}/stats`)).text();
    const out: Record<string, number> = {};
    for (const line of text.split('\n')) {
      const m = /^(\S+): (\d+)$/.exec(line);
      if (!m) continue;
      const [, key, value] = m as unknown as [string, string, string];
      const cluster = /^cluster\.(warmroute_sidecar|bench_noop_extproc|bench_noop_parse_extproc)\.(upstream_rq_total|upstream_cx_total|upstream_rq_rx_reset|upstream_rq_tx_reset|upstream_cx_destroy_remote|upstream_rq_5xx|http2\.rx_reset|http2\.tx_reset|http2\.streams_active|upstream_rq_active)$/.test(key);
      const filter = /^http\.bench_\w+\.ext_proc\.(streams_started|streams_closed|streams_failed|failure_mode_allowed|message_timeouts|spurious_msgs_received|immediate_responses_sent|server_half_closed)$/.test(key);
      if (cluster || filter) out[key] = Number(value);
    }
    return out;
  } catch {
    return {};
  }
}

function roundSummary(s: Summary): Summary {
  return { n: s.n, p50: round(s.p50, 3), p90: round(s.p90, 3), p99: round(s.p99, 3), mean: round(s.mean, 3), min: round(s.min, 3), max: round(s.max, 3) };
}

const f = (x: number, d = 2): string => (Number.isFinite(x) ? x.toFixed(d) : String(x));

export function toMarkdown(r: BodyBenchResult): string {
  const m = r.machine;
  const lines: string[] = [];
  lines.push('# Body size: the cost of the ext_proc hop through a real Envoy', '');
  lines.push(`- Date: ${r.date}`);
  lines.push(`- Command: \`${r.command}\` (run time ${r.durationS} s)`);
  lines.push(machineLine(m, { envoy: true }));
  lines.push(`- Setup: ${String(r.setup.envoy)}. ${String(r.setup.processes)}. ${String(r.setup.request)}; ${String(r.setup.order)}.`);
  lines.push(`- Backend: simulated OpenAI server, ttftMs 0, 4 tokens, non-streaming (same process for every variant).`);
  lines.push(`- Target (envoy-extproc.md §9): ${r.target}.`, '');
  lines.push('Variants: **direct** (a) = Envoy → backend, no ext_proc. **noop** (b) = + no-op ext_proc (grpc-js, sets only the ORIGINAL_DST header): the floor.');
  lines.push('**noop_parse** = the no-op server also running warmroute\'s `parseRequest` on the body. **warmroute_no_observe** = the warmroute sidecar, rendered config minus response observation (the routing filter skips response headers).');
  lines.push('**noop_observe** = noop with the rendered response observation (pointed at the no-op server). **warmroute** (c) = the warmroute sidecar, config exactly as rendered (routing filter reading response headers).', '');

  const range = (xs: number[], d = 2): string => (xs.length ? `${f(Math.min(...xs), d)}–${f(Math.max(...xs), d)}` : 'n/a');
  const within = r.sizes.filter((s) => s.verdict === 'within').length;
  lines.push('## Summary', '');
  lines.push(
    `- (c−a)/(b−a) at p50, warmroute as rendered: ${r.sizes.map((s) => `${s.label} ${f(s.ratios['warmroute/noop'].p50)}`).join(', ')}; ` +
      `within the 1.15 target (whole 90 % CI) at ${within} of ${r.sizes.length} sizes (${r.sizes.map((s) => `${s.label}: ${s.verdict}`).join(', ')}).`,
  );
  lines.push(`- Without response observation: ${r.sizes.map((s) => `${s.label} ${f(s.ratios['warmroute_no_observe/noop'].p50)}`).join(', ')}.`);
  lines.push(
    `- Response observation (the routing filter reading response headers) adds ${range(r.sizes.map((s) => s.observeCostMs.warmroute.p50))} ms at p50 with the warmroute sidecar and ` +
      `${range(r.sizes.map((s) => s.observeCostMs.noop.p50))} ms with the no-op server behind it.`,
  );
  lines.push(
    `- warmroute's parseRequest alone (noop_parse − noop, through Envoy): ${r.sizes.map((s) => `${s.label} ${f(s.addedMs.noop_parse.p50 - s.addedMs.noop.p50)}`).join(', ')} ms; ` +
      `in process it costs ${r.sizes.map((s) => `${s.label} ${f(s.parse.parseRequestUs / 1000, 3)}`).join(', ')} ms vs JSON.parse ${r.sizes.map((s) => `${f(s.parse.jsonParseUs / 1000, 3)}`).join(', ')} ms.`,
  );
  lines.push(
    `- The rest of the sidecar (warmroute_no_observe − noop_parse): ${r.sizes.map((s) => `${s.label} ${f(s.addedMs.warmroute_no_observe.p50 - s.addedMs.noop_parse.p50)}`).join(', ')} ms.`,
    '',
  );
  lines.push('## Latency per request, p50 / p90 (ms)', '');
  lines.push(`| body | rounds | ${VARIANTS.join(' | ')} |`);
  lines.push(`|---|---|${VARIANTS.map(() => '---').join('|')}|`);
  for (const s of r.sizes) {
    lines.push(`| ${s.label} (${s.bytes} B) | ${s.rounds} | ${VARIANTS.map((v) => `${f(s.latencyMs[v].p50)} / ${f(s.latencyMs[v].p90)}`).join(' | ')} |`);
  }
  lines.push('', '## Added latency over direct (a), p50 / p90 (ms)', '');
  const others = VARIANTS.filter((v) => v !== 'direct');
  lines.push(`| body | ${others.join(' | ')} | response observation with warmroute (warmroute − warmroute_no_observe) | response observation with noop (noop_observe − noop) |`);
  lines.push(`|---|${others.map(() => '---').join('|')}|---|---|`);
  for (const s of r.sizes) {
    const o = s.observeCostMs;
    lines.push(`| ${s.label} | ${others.map((v) => `${f(s.addedMs[v].p50)} / ${f(s.addedMs[v].p90)}`).join(' | ')} | ${f(o.warmroute.p50)} / ${f(o.warmroute.p90)} | ${f(o.noop.p50)} / ${f(o.noop.p90)} |`);
  }
  lines.push('', '## Ratios of added latency: (x − direct) / (y − direct), p50 [90 % CI]', '');
  lines.push(`| body | ${RATIOS.map((q) => (q.key === 'warmroute/noop' ? '**warmroute/noop = (c−a)/(b−a)**' : q.key)).join(' | ')} | (c−a)/(b−a) at p90 | vs 15 % target |`);
  lines.push(`|---|${RATIOS.map(() => '---').join('|')}|---|---|`);
  for (const s of r.sizes) {
    const ci = (k: RatioKey): string => `${f(s.ratios[k].p50)} [${f(s.ratios[k].p50ci90[0])}, ${f(s.ratios[k].p50ci90[1])}]`;
    lines.push(`| ${s.label} | ${RATIOS.map((q) => (q.key === 'warmroute/noop' ? `**${ci(q.key)}**` : ci(q.key))).join(' | ')} | ${f(s.ratios['warmroute/noop'].p90)} | ${s.verdict} |`);
  }
  lines.push(
    '',
    'Target: (c−a)/(b−a) ≤ 1.15. Verdict: *within* = the whole 90 % interval of the p50 ratio is ≤ 1.15; *over* = all of it is above; ' +
      '*inconclusive* = it straddles 1.15. Intervals: percentile bootstrap over whole rounds (2000 resamples). p90 ratios have noisy denominators; read them loosely.',
    '',
  );
  const errored = r.sizes.filter((s) => Object.values(s.errors).some((n) => n > 0));
  lines.push('## Errors', '');
  if (errored.length === 0) lines.push('Every request answered 200.', '');
  else {
    lines.push('Rounds with a non-200 answer are left out of every statistic above.', '');
    lines.push(`| body | ${VARIANTS.join(' | ')} | first messages |`);
    lines.push(`|---|${VARIANTS.map(() => '---').join('|')}|---|`);
    for (const s of errored) lines.push(`| ${s.label} | ${VARIANTS.map((v) => String(s.errors[v])).join(' | ')} | ${s.errorSamples.map((m) => '`' + m.replace(/\|/g, '\\|') + '`').join('<br>')} |`);
    lines.push('');
  }
  const stats = Object.entries(r.envoyStats).filter(([k, v]) => v > 0 && /rx_reset|streams_failed|failure_mode|message_timeouts|spurious|immediate|half_closed|destroy_remote/.test(k));
  lines.push(
    `Envoy ext_proc counters at the end of the run, non-zero failures/resets from the processors: ${stats.length ? stats.map(([k, v]) => `\`${k}\` ${v}`).join(', ') : 'none'} ` +
      '(`tx_reset` is Envoy closing each processor stream itself and is expected; all counters are in the JSON).',
    '',
  );
  lines.push('## In process: warmroute parseRequest vs JSON.parse (same Buffer, µs per call, median of interleaved batches)', '');
  lines.push('| body | parseRequest (scan + prefix hash) | JSON.parse(buf.toString()) | ratio |');
  lines.push('|---|---|---|---|');
  for (const s of r.sizes) lines.push(`| ${s.label} | ${f(s.parse.parseRequestUs, 1)} | ${f(s.parse.jsonParseUs, 1)} | ${f(s.parse.ratio, 3)} |`);
  const refs = r.sizes.filter((s) => REFERENCE_9[s.label]);
  if (refs.length) {
    lines.push('', '## Reference: envoy-extproc.md §9 (added p50 over plain Envoy, one run, Envoy --concurrency 1)', '');
    lines.push('| body | §9 no-op | §9 JSON.parse processor | this run: noop | this run: warmroute |');
    lines.push('|---|---|---|---|---|');
    for (const s of refs) {
      const ref = REFERENCE_9[s.label]!;
      lines.push(`| ${s.label} | ${f(ref.noop, 1)} | ${f(ref.jsonParse, 1)} | ${f(s.addedMs.noop.p50)} | ${f(s.addedMs.warmroute.p50)} |`);
    }
  }
  lines.push('');
  return lines.join('\n');
}

export function writeResults(r: BodyBenchResult): void {
  writeResultFiles('body-size', r, toMarkdown(r));
}

runIfMain(import.meta.url, () => run(), toMarkdown);
