// Live replay: the trace sent in real time to a running gateway, a single
// backend or any OpenAI-compatible proxy (a base URL with a path prefix, such
// as Olla's /olla/proxy, works). Arrivals keep their times; a closed-loop
// request goes out `gap_ms` after the last of its dependencies ended. Bodies
// are synthetic (a filler prompt of about prompt_tokens tokens, max_tokens =
// output_tokens); a session goes in the x-session-id header.
import type { LoadCounts, RequestResult, RunResult } from './run-result.ts';
import { dependencyIndex, outputTokensOf, release, type Trace, type TraceApi, type TraceRequest } from './trace.ts';

export interface LiveOptions {
  /** e.g. http://127.0.0.1:18080 or http://host:40114/olla/proxy (a trailing /v1 is accepted). */
  baseUrl: string;
  label?: string;
  /** Total model loads so far on the target (read before and after the run), when observable. */
  loadCounter?: () => Promise<LoadCounts>;
  /** Per-request timeout; default 10 minutes. */
  requestTimeoutMs?: number;
  headers?: Record<string, string>;
}

const PATHS: Record<TraceApi, string> = {
  chat: '/chat/completions',
  completions: '/completions',
  embeddings: '/embeddings',
  messages: '/messages',
};

/** The endpoint URL for an API under a base URL that may or may not end in /v1. */
export function endpointUrl(baseUrl: string, api: TraceApi): string {
  const base = baseUrl.replace(/\/+$/, '');
  return `${base.endsWith('/v1') ? base : `${base}/v1`}${PATHS[api]}`;
}

/** Filler text of about `tokens` tokens (four characters each). */
function filler(tokens: number): string {
  return 'word'.repeat(Math.max(1, tokens));
}

export function requestBody(r: TraceRequest): Record<string, unknown> {
  const prompt = filler(r.prompt_tokens);
  const maxTokens = outputTokensOf(r);
  switch (r.api) {
    case 'embeddings':
      return { model: r.model, input: prompt };
    case 'completions':
      return { model: r.model, prompt, max_tokens: maxTokens, stream: r.stream };
    case 'messages':
      return { model: r.model, max_tokens: Math.max(1, maxTokens), messages: [{ role: 'user', content: prompt }], stream: r.stream };
    case 'chat':
      return { model: r.model, messages: [{ role: 'user', content: prompt }], max_tokens: maxTokens, stream: r.stream };
  }
}

async function errorCode(res: Response): Promise<string> {
  const text = await res.text().catch(() => '');
  try {
    const body = JSON.parse(text) as { error?: { code?: unknown; type?: unknown } };
    const code = body.error?.code ?? body.error?.type;
    if (typeof code === 'string' && code !== '') return code;
  } catch {
    // Not JSON (a proxy's plain-text error page): the status says it all.
  }
  return `http_${res.status}`;
}

async function send(r: TraceRequest, opts: LiveOptions, t0: number, res: RequestResult): Promise<void> {
  const headers: Record<string, string> = { 'content-type': 'application/json', ...opts.headers };
  if (r.session !== undefined) headers['x-session-id'] = r.session;
  if (r.api === 'messages') headers['anthropic-version'] = '2023-06-01';
  try {
    const response = await fetch(endpointUrl(opts.baseUrl, r.api), {
      method: 'POST',
      headers,
      body: JSON.stringify(requestBody(r)),
      signal: AbortSignal.timeout(opts.requestTimeoutMs ?? 600_000),
    });
    res.backend = response.headers.get('x-warmroute-backend') ?? undefined;
    if (!response.ok) {
      res.failed = { status: response.status, code: await errorCode(response) };
      return;
    }
    const reader = response.body?.getReader();
    if (reader) {
      for (;;) {
        const chunk = await reader.read();
        if (res.startedAt === undefined) res.startedAt = performance.now() - t0;
        if (chunk.done) break;
      }
    }
    res.startedAt ??= performance.now() - t0;
  } catch (e) {
    res.failed = { status: 0, code: e instanceof Error && e.name === 'TimeoutError' ? 'timeout' : 'connection_error' };
  } finally {
    res.endedAt = performance.now() - t0;
  }
}

function diff(after: LoadCounts, before: LoadCounts): LoadCounts {
  const byModel: Record<string, number> = {};
  for (const [m, n] of Object.entries(after.byModel)) {
    const d = n - (before.byModel[m] ?? 0);
    if (d !== 0) byModel[m] = d;
  }
  return { total: after.total - before.total, byModel };
}

export async function replayLive(trace: Trace, opts: LiveOptions): Promise<RunResult> {
  const before = opts.loadCounter ? await opts.loadCounter() : undefined;
  const t0 = performance.now();
  const results = new Map<string, RequestResult>();
  const deps = dependencyIndex(trace.requests);
  let resolveAll!: () => void;
  const allDone = new Promise<void>((r) => (resolveAll = r));
  let finished = 0;

  const launch = (r: TraceRequest): void => {
    const arrivedAt = performance.now() - t0;
    const res: RequestResult = { id: r.id, model: r.model, arrivedAt, endedAt: arrivedAt };
    results.set(r.id, res);
    void send(r, opts, t0, res).then(() => {
      for (const next of release(deps, r.id)) setTimeout(() => launch(next), next.gap_ms ?? 0);
      if (++finished === trace.requests.length) resolveAll();
    });
  };

  for (const r of trace.requests) if (r.at_ms !== undefined) setTimeout(() => launch(r), Math.max(0, r.at_ms - (performance.now() - t0)));
  await allDone;
  const wallMs = performance.now() - t0;
  const after = opts.loadCounter ? await opts.loadCounter() : undefined;
  return {
    label: opts.label ?? `live ${opts.baseUrl}`,
    requests: trace.requests.map((r) => results.get(r.id)!),
    loads: before && after ? diff(after, before) : undefined,
    wallMs,
  };
}

/** Model loads from a warmroute admin /metrics URL (warmroute_model_loads_total, by model). */
export function metricsLoadCounter(metricsUrl: string): () => Promise<LoadCounts> {
  return async () => {
    const res = await fetch(metricsUrl, { signal: AbortSignal.timeout(10_000) });
    if (!res.ok) throw new Error(`${metricsUrl}: HTTP ${res.status}`);
    return parseLoadMetrics(await res.text());
  };
}

export function parseLoadMetrics(text: string): LoadCounts {
  const out: LoadCounts = { total: 0, byModel: {} };
  for (const line of text.split('\n')) {
    if (!line.startsWith('warmroute_model_loads_total')) continue;
    const value = Number(line.slice(line.lastIndexOf(' ') + 1));
    if (!Number.isFinite(value)) continue;
    const model = /model="((?:[^"\\]|\\.)*)"/.exec(line)?.[1];
    out.total += value;
    if (model !== undefined) out.byModel[model] = (out.byModel[model] ?? 0) + value;
  }
  return out;
}
