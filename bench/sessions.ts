// Session affinity on real servers: trace (b) (bench/traces/skewed-chat.jsonl, 25
// conversations on one model, one hot conversation a third of the turns) replayed
// live, in real time, against two real llama-servers (same model, prompt cache on),
// each target in front of fresh servers:
//   - pinned by hand: each conversation sent straight to a server chosen by a hash of its id;
//   - warmroute (`warmroute up`: real Envoy + the sidecar), strategy warm-first (its own),
//     and the round-robin and least-connections baselines;
//   - Olla least-connections (its default balancer), when OLLA points at its binary.
// The measure is what the servers report: llamacpp:prompt_tokens_total (prompt tokens
// really processed, cached ones excluded), read from both before and after each run.
// It is compared with a pinned-per-conversation ideal computed from the exact token
// sequences (see idealTokens) and checked against the pinned-by-hand run.
//   LLAMA_SERVER=… GGUF_DIR=… [OLLA=…] npm run bench:sessions [-- --repeat N] [--requests N]
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { freePort } from '../e2e/harness.ts';
import { readTrace } from '../sidecar/replay/inputs.ts';
import { replayLive, requestBody } from '../sidecar/replay/live.ts';
import { reportOf, type RunReport } from '../sidecar/replay/report.ts';
import type { Trace, TraceRequest } from '../sidecar/replay/trace.ts';
import { commandLine, loadNow, machineInfo, type MachineInfo } from './lib/machine.ts';
import { llamaServerThreadArgs, startOlla, startProcess, type Process } from './lib/real-parts.ts';
import { runIfMain, writeResultFiles } from './lib/results.ts';
import { watchStatus } from './lib/status-watch.ts';
import { startWarmrouteUp, waitUntil } from './lib/warmroute-up.ts';

/** The two real llama-servers (they compute at once: each gets half the cores, llamaServerThreadArgs). */
const SERVER_NAMES = ['ls1', 'ls2'];
const TRACE = fileURLToPath(new URL('./traces/skewed-chat.jsonl', import.meta.url));
/** The one model of the trace, served by both servers under this name. */
const MODEL = 'chat';
/** Any tiny GGUF in GGUF_DIR serves as the chat model (its weights do not matter here). */
const GGUF = 'orch.gguf';
const PARALLEL = 4;
/** The trace's hot conversation. */
const HOT = 'hot';
/**
 * The live replayer sends about four characters per trace prompt token (real tokenizers); the
 * tiny models have a byte vocabulary (one token per character) and a 4,096-token training
 * context, at which llama-server caps each slot. Prompts are shortened by this factor so the
 * hot conversation's last turn (23,900 trace tokens: 747 after the factor, about 3,000
 * characters) fits a slot with the opening line, the chat template and up to 200 generated
 * tokens. Every figure compared is a ratio of tokens, which the factor leaves alike.
 */
const PROMPT_SCALE = 32;
/** Target: prompt tokens processed ≤ this × the pinned ideal. */
const TARGET_RATIO = 1.05;
/** Target: no server processes more than this share of the prompt tokens. */
const TARGET_SHARE = 0.6;

type TargetName = 'pinned by hash' | 'warmroute warm-first' | 'warmroute round-robin' | 'warmroute least-connections' | 'olla least-connections';
const STRATEGY: Partial<Record<TargetName, 'warm-first' | 'round-robin' | 'least-connections'>> = {
  'warmroute warm-first': 'warm-first',
  'warmroute round-robin': 'round-robin',
  'warmroute least-connections': 'least-connections',
};

export interface SessionsRun {
  target: TargetName;
  repeat: number;
  report: RunReport;
  /** Prompt tokens each server processed during the run (its /metrics, after − before). */
  promptTokens: Record<string, number>;
  promptTokensTotal: number;
  /** Total ÷ the pinned-per-conversation ideal. */
  ratioToIdeal: number;
  /** The largest server's share of the total. */
  maxShare: number;
  /** Conversations whose turns ran on more than one server (where the target tells which server served). */
  sessionsMoved: number | null;
  /** Turns that ran on a different server than their conversation's previous turn (null where unknown). */
  serverSwitches: number | null;
  /** The same, for the hot conversation alone (a third of the turns, and the longest prompts). */
  hotSwitches: number | null;
  /**
   * Turns sent while the same conversation's previous turn was still running (the trace is open
   * loop): such a turn cannot reuse its predecessor's cache on any placement, pinned or not.
   */
  overlappingTurns: number;
}

export interface SessionsResult {
  date: string;
  /** The commit the benchmark ran on (with "+changes" when the worktree differed from it). */
  commit: string;
  command: string;
  machine: MachineInfo;
  skipped: string[];
  trace: { name: string; requests: number; sessions: number; promptScale: number; closedLoop: boolean };
  /** Prompt tokens a pinned-per-conversation placement processes (see idealTokens). */
  idealPromptTokens?: number;
  /** Prompt tokens with no cache at all (every turn processes its whole prompt). */
  uncachedPromptTokens?: number;
  runs: SessionsRun[];
}

interface LlamaServer extends Process {
  name: string;
  url: string;
}

interface Parts {
  llamaServer: string;
  gguf: string;
  olla?: string;
}

function findParts(env: NodeJS.ProcessEnv, skipped: string[]): Parts | undefined {
  const have = (name: string): string | undefined => {
    const p = env[name];
    if (p) return p;
    skipped.push(`${name} not set`);
    return undefined;
  };
  const llamaServer = have('LLAMA_SERVER');
  const ggufDir = have('GGUF_DIR');
  const olla = env.OLLA;
  if (!olla) skipped.push('olla least-connections: OLLA not set');
  if (!llamaServer || !ggufDir) return undefined;
  return { llamaServer, gguf: join(ggufDir, GGUF), olla };
}

function shortenPrompts(trace: Trace, requests: number): Trace {
  return {
    ...trace,
    requests: trace.requests.slice(0, requests).map((r) => ({ ...r, prompt_tokens: Math.max(1, Math.round(r.prompt_tokens / PROMPT_SCALE)) })),
  };
}

/** One real llama-server: slots with prompt cache (its default), host-memory prompt cache (its default), metrics on. */
async function startLlamaServer(parts: Parts, name: string, workDir: string): Promise<LlamaServer> {
  const port = await freePort();
  const args = ['-m', parts.gguf, '--alias', MODEL, '--host', '127.0.0.1', '--port', String(port), '-c', String(4096 * PARALLEL), '--parallel', String(PARALLEL), '--metrics', ...llamaServerThreadArgs(SERVER_NAMES.length)];
  const proc = startProcess(parts.llamaServer, args, join(workDir, `${name}.log`));
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitUntil(`${url}/health`, () => true, 60_000);
  } catch (e) {
    await proc.stop();
    throw e;
  }
  return { name, url, stop: proc.stop };
}

async function promptTokensTotal(server: LlamaServer): Promise<number> {
  const text = await (await fetch(`${server.url}/metrics`, { signal: AbortSignal.timeout(30_000) })).text();
  const line = text.split('\n').find((l) => l.startsWith('llamacpp:prompt_tokens_total'));
  if (!line) throw new Error(`${server.url}/metrics has no llamacpp:prompt_tokens_total`);
  return Number(line.slice(line.lastIndexOf(' ') + 1));
}

async function post<T>(url: string, body: unknown): Promise<T> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal: AbortSignal.timeout(60_000) });
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

/** The exact tokens a server evaluates for a request's prompt: its chat template applied, then its tokenizer (BOS included). */
async function promptTokens(server: LlamaServer, r: TraceRequest): Promise<number[]> {
  const { messages } = requestBody(r) as { messages: unknown };
  const { prompt } = await post<{ prompt: string }>(`${server.url}/apply-template`, { messages });
  const { tokens } = await post<{ tokens: number[] }>(`${server.url}/tokenize`, { content: prompt, add_special: true });
  return tokens;
}

function commonPrefix(a: readonly number[], b: readonly number[]): number {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i;
}

/**
 * The pinned-per-conversation ideal: every conversation keeps its own cache on one server
 * for its whole life, so turn k evaluates only the tokens after the longest common prefix
 * with turn k−1 (the new text plus the chat template's closing tokens, which turn k−1 ended
 * with and turn k moves further on); a first turn evaluates all of its tokens. Summed over
 * every turn of every conversation, from the exact token sequences the server produces.
 * Also returns the no-cache total (every turn evaluates its whole prompt).
 */
// Turns are read in trace order: trace (b) lists each conversation's turns in the order they are
// sent, in the open-loop file and in its closed-loop form alike (where later turns have no at_ms).
async function idealTokens(server: LlamaServer, trace: Trace): Promise<{ ideal: number; uncached: number }> {
  const last = new Map<string, number[]>();
  let ideal = 0;
  let uncached = 0;
  for (const r of trace.requests) {
    const tokens = await promptTokens(server, r);
    const key = r.session ?? r.id;
    ideal += tokens.length - commonPrefix(tokens, last.get(key) ?? []);
    uncached += tokens.length;
    last.set(key, tokens);
  }
  return { ideal, uncached };
}

/** Server index for a conversation: the first byte of its id's SHA-256, modulo the number of servers. */
function pinnedIndex(session: string, servers: number): number {
  return createHash('sha256').update(session).digest()[0]! % servers;
}

/** A plain HTTP forwarder that sends each conversation (x-session-id) to its hash-chosen server: pinning by hand. */
async function startPinningProxy(servers: readonly LlamaServer[]): Promise<{ url: string; stop(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    const session = req.headers['x-session-id'];
    const target = servers[typeof session === 'string' ? pinnedIndex(session, servers.length) : 0]!;
    const upstream = new URL(req.url ?? '/', target.url);
    // A fresh connection per request: a reused keep-alive socket the server has just closed would fail the request.
    const out = httpRequest(upstream, { method: req.method, headers: { ...req.headers, host: upstream.host }, agent: false }, (up) => {
      res.writeHead(up.statusCode ?? 502, { ...up.headers, 'x-warmroute-backend': target.name });
      up.pipe(res);
    });
    out.on('error', () => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: 'upstream unreachable', type: 'proxy_error', code: 'upstream_unreachable' } }));
    });
    req.pipe(out);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    stop: () => new Promise<void>((r) => server.close(() => r())),
  };
}

async function startFront(target: TargetName, servers: readonly LlamaServer[], parts: Parts, dir: string): Promise<{ url: string; stop(): Promise<void> }> {
  const strategy = STRATEGY[target];
  if (strategy) {
    const up = await startWarmrouteUp(
      {
        backends: servers.map((s) => ({ name: s.name, kind: 'llama-server', url: s.url, models: [MODEL], slots: PARALLEL })),
        scheduler: { strategy },
        // x-warmroute-backend tells which server served each turn (sessions moved).
        debug: { decision_headers: true },
      },
      dir,
    );
    const watch = watchDecisions(up.adminUrl, join(dir, 'decisions.jsonl'));
    return { url: up.url, stop: async () => (await watch.stop(), up.stop()) };
  }
  if (target === 'olla least-connections') {
    const olla = await startOlla(parts.olla!, { port: await freePort(), endpoints: servers.map((s) => ({ name: s.name, url: s.url })), balancer: 'least-connections', workDir: dir });
    try {
      // Olla routes only to endpoints whose health checks and model discovery have landed.
      await waitUntil(`${olla.proxyUrl}/v1/models`, (b) => b.includes(`"${MODEL}"`), 60_000);
    } catch (e) {
      await olla.stop();
      throw e;
    }
    return { url: olla.proxyUrl, stop: olla.stop };
  }
  return startPinningProxy(servers);
}

/**
 * Diagnosis: every routing decision (reason, scores, hashed session key) from the admin API's recent
 * decisions, polled while the run lasts, one JSON line each in the target's work directory.
 */
const DECISION_WATCH_MS = 200;
function watchDecisions(adminUrl: string, file: string): { stop(): Promise<void> } {
  const seen = new Set<string>();
  return watchStatus(adminUrl, file, DECISION_WATCH_MS, (s) =>
    s.decisions.filter((d) => {
      if (seen.has(d.requestId)) return false;
      seen.add(d.requestId);
      return true;
    }),
  );
}

type Served = { requests: { id: string; backend?: string }[] };

/** Turn-to-turn server changes, over all conversations and for `session` alone (null where the target does not tell). */
function switches(trace: Trace, run: Served, session?: string): number | null {
  const byId = new Map(run.requests.map((r) => [r.id, r.backend]));
  const last = new Map<string, string>();
  let n = 0;
  let known = false;
  for (const r of trace.requests) {
    const backend = byId.get(r.id);
    if (r.session === undefined || backend === undefined || (session !== undefined && r.session !== session)) continue;
    known = true;
    const prev = last.get(r.session);
    if (prev !== undefined && prev !== backend) n++;
    last.set(r.session, backend);
  }
  return known ? n : null;
}

function sessionsMoved(trace: Trace, report: Served): number | null {
  const sessionOf = new Map(trace.requests.map((r) => [r.id, r.session]));
  const servedOn = new Map<string, Set<string>>();
  for (const r of report.requests) {
    const s = sessionOf.get(r.id);
    if (s === undefined || r.backend === undefined) continue;
    servedOn.set(s, (servedOn.get(s) ?? new Set()).add(r.backend));
  }
  if (servedOn.size === 0) return null;
  return [...servedOn.values()].filter((b) => b.size > 1).length;
}

function overlappingTurns(trace: Trace, run: { requests: { id: string; arrivedAt: number; endedAt: number }[] }): number {
  const byId = new Map(run.requests.map((r) => [r.id, r]));
  const previousEnd = new Map<string, number>();
  let n = 0;
  for (const r of trace.requests) {
    const res = byId.get(r.id);
    if (r.session === undefined || !res) continue;
    if (res.arrivedAt < (previousEnd.get(r.session) ?? -Infinity)) n++;
    previousEnd.set(r.session, res.endedAt);
  }
  return n;
}

async function runTarget(target: TargetName, repeat: number, trace: Trace, ideal: number, parts: Parts, workDir: string): Promise<SessionsRun> {
  const dir = mkdtempSync(join(workDir, `${target.replace(/\W+/g, '-')}-`));
  const servers: LlamaServer[] = [];
  let front: { url: string; stop(): Promise<void> } | undefined;
  try {
    for (const name of SERVER_NAMES) servers.push(await startLlamaServer(parts, name, dir));
    front = await startFront(target, servers, parts, dir);
    const before = await Promise.all(servers.map(promptTokensTotal));
    const run = await replayLive(trace, { baseUrl: front.url, label: target });
    const after = await Promise.all(servers.map(promptTokensTotal));
    const promptTokens = Object.fromEntries(servers.map((s, i) => [s.name, after[i]! - before[i]!]));
    const total = Object.values(promptTokens).reduce((a, b) => a + b, 0);
    return {
      target,
      repeat,
      report: reportOf(run),
      promptTokens,
      promptTokensTotal: total,
      ratioToIdeal: total / ideal,
      maxShare: total > 0 ? Math.max(...Object.values(promptTokens)) / total : 0,
      sessionsMoved: sessionsMoved(trace, run),
      serverSwitches: switches(trace, run),
      hotSwitches: switches(trace, run, HOT),
      overlappingTurns: overlappingTurns(trace, run),
    };
  } finally {
    await front?.stop();
    for (const s of servers) await s.stop();
  }
}

export async function runSessions(argv: string[] = process.argv.slice(2)): Promise<SessionsResult> {
  const { values } = parseArgs({
    args: argv,
    options: { repeat: { type: 'string', default: '2' }, requests: { type: 'string' }, 'closed-loop': { type: 'boolean', default: false }, targets: { type: 'string' } },
  });
  const closedLoop = values['closed-loop'];
  const repeats = Math.max(1, Number(values.repeat));
  const full = readTrace(TRACE);
  const shortened = shortenPrompts(full, values.requests ? Math.max(1, Number(values.requests)) : full.requests.length);
  const trace = closedLoop ? conversationsClosedLoop(shortened) : shortened;
  const machine = machineInfo();
  const result: SessionsResult = {
    date: new Date().toISOString(),
    command: commandLine('bench:sessions'),
    commit: gitCommit(),
    machine,
    skipped: [],
    trace: { name: trace.name, requests: trace.requests.length, sessions: new Set(trace.requests.map((r) => r.session)).size, promptScale: PROMPT_SCALE, closedLoop },
    runs: [],
  };
  const parts = findParts(process.env, result.skipped);
  if (!parts) {
    result.skipped.unshift('everything: LLAMA_SERVER and GGUF_DIR are needed (../shared/docs/real-parts.md)');
    return result;
  }
  const workDir = mkdtempSync(join(tmpdir(), 'warmroute-sessions-'));
  const calibration = join(workDir, 'tokenizer');
  mkdirSync(calibration);
  const tokenizer = await startLlamaServer(parts, 'tokenizer', calibration);
  try {
    const { ideal, uncached } = await idealTokens(tokenizer, trace);
    result.idealPromptTokens = ideal;
    result.uncachedPromptTokens = uncached;
  } finally {
    await tokenizer.stop();
  }
  const targets: TargetName[] = ['pinned by hash', 'warmroute warm-first', 'warmroute round-robin', 'warmroute least-connections'];
  if (parts.olla) targets.push('olla least-connections');
  const only = values.targets?.split(',').map((t) => t.trim());
  if (only) targets.splice(0, targets.length, ...targets.filter((t) => only.includes(t)));
  // Interleaved: each repeat runs every target once, so drift on the machine hits all alike.
  for (let i = 1; i <= repeats; i++)
    for (const t of targets) {
      process.stderr.write(`[sessions] ${t}, run ${i}/${repeats} ...\n`);
      result.runs.push(await runTarget(t, i, trace, result.idealPromptTokens, parts, workDir));
      // Written after every run, so a long benchmark interrupted late still leaves what it measured.
      if (!values.requests) writeResultFiles(resultName(result), result, toMarkdown(result));
    }
  machine.loadavg1mAtEnd = loadNow();
  return result;
}

/**
 * The trace with every conversation a closed loop, as a person chatting sends: a turn goes out
 * its original gap after the previous turn of its conversation has ENDED (first turns keep
 * their arrival times), so no turn overlaps its predecessor and the ideal is reachable.
 */
function conversationsClosedLoop(trace: Trace): Trace {
  const previous = new Map<string, TraceRequest>();
  const requests = [...trace.requests]
    .sort((a, b) => (a.at_ms ?? 0) - (b.at_ms ?? 0))
    .map((r): TraceRequest => {
      const prev = r.session === undefined ? undefined : previous.get(r.session);
      if (r.session !== undefined) previous.set(r.session, r);
      if (!prev) return r;
      const { at_ms, ...rest } = r;
      return { ...rest, after: prev.id, gap_ms: Math.max(0, (at_ms ?? 0) - (prev.at_ms ?? 0)) };
    });
  return { ...trace, name: `${trace.name} (conversations as closed loops)`, requests };
}

function resultName(r: SessionsResult): string {
  return r.trace.closedLoop ? 'sessions.closed-loop' : 'sessions';
}

function gitCommit(): string {
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { encoding: 'utf8' }).trim() !== '';
    return dirty ? `${head}+changes` : head;
  } catch {
    return 'unknown';
  }
}

const pct = (x: number): string => `${Math.round(x * 100)} %`;

export function toMarkdown(r: SessionsResult): string {
  const out = [
    '# Sessions on real servers: trace (b), skewed chat',
    '',
    `Command: \`${r.command}\` · commit ${r.commit} · ${r.date} · ${r.machine.cpu}, ${r.machine.cores} cores, ${r.machine.memoryGB} GB, Node ${r.machine.node}, Envoy ${r.machine.envoy} · load average ${r.machine.loadavg1mAtStart} at start, ${r.machine.loadavg1mAtEnd ?? '?'} at end`,
    '',
    `Trace \`${r.trace.name}\` (${r.trace.requests} turns of ${r.trace.sessions} conversations on one model, one hot conversation a third of the turns)`,
    `replayed live in real time (\`sidecar/replay/live.ts\`: a conversation's prompts open with a line of its own, turn k extends turn k−1;`,
    `trace prompt sizes divided by ${r.trace.promptScale}, at four characters each, so a turn of N trace tokens is about N/${r.trace.promptScale / 4} tokens on the tiny models' one-token-per-character vocabulary and the longest fits their 4,096-token slots).`,
    `Two real llama-servers (same tiny model, ${PARALLEL} slots each, prompt cache and host-memory prompt cache at their defaults), fresh for every run.`,
    'Tokens are `llamacpp:prompt_tokens_total` from both servers\' /metrics, after − before: prompt tokens really processed (cache hits excluded).',
    'warmroute runs as `warmroute up` (real Envoy + sidecar) with the named strategy; Olla with its default balancer (least-connections; its sticky-session option is not configured).',
    '',
  ];
  if (r.trace.closedLoop)
    out.push('Closed-loop variant (`--closed-loop`): each conversation\'s turn goes out its original gap after the previous turn ENDED, so no turn overlaps its predecessor.', '');
  if (r.skipped.length) out.push(...r.skipped.map((x) => `Skipped: ${x}`), '');
  if (r.idealPromptTokens !== undefined) {
    out.push(
      `**Pinned-per-conversation ideal: ${r.idealPromptTokens} prompt tokens** (no cache at all: ${r.uncachedPromptTokens}). Computed exactly: each request's`,
      'prompt is rendered with the server\'s own chat template (`/apply-template`) and tokenized by the server (`/tokenize`, BOS included);',
      'a conversation\'s first turn counts all its tokens, turn k counts those after its longest common prefix with turn k−1 (as if each',
      'conversation kept its own cache on one server forever); summed over all turns. The "pinned by hash" rows check it in practice:',
      'each conversation is sent straight to the server chosen by the first byte of SHA-256(session id) mod 2, no router involved.',
      '',
      `Targets: prompt tokens ≤ ${TARGET_RATIO}× the ideal; no server above ${pct(TARGET_SHARE)} of the tokens.`,
      '',
    );
  }
  if (r.runs.length) {
    out.push(
      '| target | run | served | failed | prompt tokens (ls1 + ls2) | ÷ ideal | ÷ pinned by hash (same run) | max server share | conversations that moved | server switches (hot) | turns overlapping their predecessor | makespan (s) | meets both targets |',
      '|---|---|---|---|---|---|---|---|---|---|---|---|---|',
    );
    for (const run of r.runs) {
      const rep = run.report;
      const pinned = r.runs.find((x) => x.target === 'pinned by hash' && x.repeat === run.repeat);
      const meets = run.ratioToIdeal <= TARGET_RATIO && run.maxShare <= TARGET_SHARE && rep.failed === 0;
      out.push(
        `| ${run.target} | ${run.repeat} | ${rep.requests - rep.failed} | ${rep.failed} | ${run.promptTokensTotal} (${Object.values(run.promptTokens).join(' + ')}) | ${run.ratioToIdeal.toFixed(3)} | ${pinned ? (run.promptTokensTotal / pinned.promptTokensTotal).toFixed(3) : '–'} | ${pct(run.maxShare)} | ${run.sessionsMoved ?? '–'} | ${run.serverSwitches ?? '–'} (${run.hotSwitches ?? '–'}) | ${run.overlappingTurns} | ${(rep.makespanMs / 1000).toFixed(1)} | ${meets ? 'yes' : 'no'} |`,
      );
    }
    out.push(
      '',
      'Reading: "turns overlapping their predecessor" were sent while the same conversation\'s previous turn was still running',
      '(the trace is open loop); such a turn cannot reuse that turn\'s cache on any placement, so even pinning by hand stays above',
      'the ideal. "Server switches" count turns that ran on another server than their conversation\'s previous turn; each re-reads',
      'the conversation\'s whole prompt there (unless that server still holds an older state of it).',
    );
    const failed = r.runs.filter((x) => x.report.failed);
    if (failed.length) out.push('', 'Failures by code:', '', ...failed.map((x) => `- ${x.target} run ${x.repeat}: ${JSON.stringify(x.report.failures)}`));
  }
  return out.join('\n') + '\n';
}

runIfMain(import.meta.url, runSessions, (r) => {
  // A run that skipped everything (no real parts here) leaves the committed results alone.
  if (r.runs.length > 0) writeResultFiles(resultName(r), r, toMarkdown(r));
  return toMarkdown(r);
});
