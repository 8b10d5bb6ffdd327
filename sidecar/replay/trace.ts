// The trace format: JSONL, one request per line, with an optional metadata
// first line. It is the one shape replay reads, the traces in bench/traces/
// use and the sidecar's opt-in recording writes. Requests start either at a
// fixed time (open loop) or a gap after others END (closed loop: an agent's
// next step waits for its tools). Documented in docs/traces.md.
import { z } from 'zod';

export const TraceApi = z
  .enum(['chat', 'completions', 'embeddings', 'messages'])
  .describe('Which API the request uses: /v1/chat/completions, /v1/completions, /v1/embeddings, /v1/messages.');
export type TraceApi = z.infer<typeof TraceApi>;

const ID = z.string().min(1).max(200);

export const TraceRequest = z
  .strictObject({
    id: ID.describe('Unique within the trace.'),
    model: z.string().min(1).describe('Public model name, as a client sends it.'),
    session: z.string().min(1).optional().describe('Conversation key (in recordings: a hash of it).'),
    at_ms: z.number().min(0).optional().describe('Arrival time since the trace start (open loop).'),
    after: z.union([ID, z.array(ID).min(1)]).optional().describe('Starts gap_ms after every one of these requests ENDS (closed loop).'),
    gap_ms: z.number().min(0).optional().describe('Delay after the last of `after` ends; default 0. Only with `after`.'),
    prompt_tokens: z.number().int().min(0).describe('Prompt size in tokens.'),
    output_tokens: z.number().int().min(0).optional().describe('Tokens generated (0 for embeddings). Required unless service_ms is given.'),
    service_ms: z
      .number()
      .min(0)
      .optional()
      .describe('Measured time on the backend, dispatch → end (recordings, where output tokens are unknown); virtual replay uses it instead of deriving a service time from output_tokens.'),
    stream: z.boolean().default(true),
    api: TraceApi.default('chat'),
    recorded: z
      .strictObject({
        wait_ms: z.number().min(0).optional().describe('Time it queued in the sidecar.'),
        backend: z.string().optional(),
        outcome: z.string().optional().describe('dispatched, cancelled, or the refusal code.'),
      })
      .optional()
      .describe('What the recording sidecar observed; informational, replay ignores it.'),
  })
  .superRefine((r, ctx) => {
    const has = (r.at_ms !== undefined ? 1 : 0) + (r.after !== undefined ? 1 : 0);
    if (has !== 1) ctx.addIssue({ code: 'custom', message: 'needs exactly one of "at_ms" (arrival time) or "after" (request ids it waits for)' });
    if (r.gap_ms !== undefined && r.after === undefined) ctx.addIssue({ code: 'custom', path: ['gap_ms'], message: '"gap_ms" only goes with "after"' });
    if (r.output_tokens === undefined && r.service_ms === undefined) ctx.addIssue({ code: 'custom', path: ['output_tokens'], message: 'needs "output_tokens" (or a measured "service_ms")' });
  });
export type TraceRequest = z.infer<typeof TraceRequest>;
export type TraceRequestInput = z.input<typeof TraceRequest>;

export const TraceMeta = z.strictObject({
  trace: z.strictObject({
    name: z.string().min(1),
    description: z.string().default(''),
  }),
});
export type TraceMeta = z.infer<typeof TraceMeta>;

export interface Trace {
  name: string;
  description: string;
  /** In file order; every `after` names an earlier-or-later request of the trace (no cycles). */
  requests: TraceRequest[];
}

/** The ids a request waits for (empty for an open-loop arrival). */
export function dependenciesOf(r: TraceRequest): readonly string[] {
  if (r.after === undefined) return [];
  return typeof r.after === 'string' ? [r.after] : r.after;
}

export interface DependencyIndex {
  /** Requests that wait for each id. */
  dependents: Map<string, TraceRequest[]>;
  /** How many requests each id still waits for (the caller counts down). */
  waitingOn: Map<string, number>;
}

export function dependencyIndex(requests: readonly TraceRequest[]): DependencyIndex {
  const dependents = new Map<string, TraceRequest[]>();
  const waitingOn = new Map<string, number>();
  for (const r of requests) {
    const deps = dependenciesOf(r);
    waitingOn.set(r.id, deps.length);
    for (const d of deps) {
      const list = dependents.get(d);
      if (list) list.push(r);
      else dependents.set(d, [r]);
    }
  }
  return { dependents, waitingOn };
}

/** Count down the dependents of `id` (which just ended); returns those now free to start. */
export function release(index: DependencyIndex, id: string): TraceRequest[] {
  const free: TraceRequest[] = [];
  for (const next of index.dependents.get(id) ?? []) {
    const left = index.waitingOn.get(next.id)! - 1;
    index.waitingOn.set(next.id, left);
    if (left === 0) free.push(next);
  }
  return free;
}

export class TraceError extends Error {
  constructor(
    readonly source: string,
    readonly line: number,
    detail: string,
  ) {
    super(line > 0 ? `${source}:${line}: ${detail}` : `${source}: ${detail}`);
  }
}

function describeIssues(err: z.ZodError): string {
  return err.issues.map((i) => (i.path.length > 0 ? `${i.path.join('.')}: ${i.message}` : i.message)).join('; ');
}

/** Parse a JSONL trace; throws TraceError naming the file and line of the first problem. */
export function parseTrace(text: string, source = 'trace', fallbackName = source): Trace {
  const requests: TraceRequest[] = [];
  const lineOf = new Map<string, number>();
  let name = fallbackName;
  let description = '';
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!.trim();
    const line = i + 1;
    if (raw === '' || raw.startsWith('#')) continue;
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch (e) {
      throw new TraceError(source, line, `not JSON (${(e as Error).message})`);
    }
    if (typeof json === 'object' && json !== null && 'trace' in json) {
      if (requests.length > 0 || lineOf.has('\0meta')) throw new TraceError(source, line, 'the {"trace": …} metadata line must be the first line');
      const meta = TraceMeta.safeParse(json);
      if (!meta.success) throw new TraceError(source, line, describeIssues(meta.error));
      name = meta.data.trace.name;
      description = meta.data.trace.description;
      lineOf.set('\0meta', line);
      continue;
    }
    const parsed = TraceRequest.safeParse(json);
    if (!parsed.success) throw new TraceError(source, line, describeIssues(parsed.error));
    const r = parsed.data;
    const dup = lineOf.get(r.id);
    if (dup !== undefined) throw new TraceError(source, line, `duplicate id "${r.id}" (first on line ${dup})`);
    lineOf.set(r.id, line);
    requests.push(r);
  }
  if (requests.length === 0) throw new TraceError(source, 0, 'no requests');
  for (const r of requests)
    for (const dep of dependenciesOf(r))
      if (!lineOf.has(dep) || dep === '\0meta') throw new TraceError(source, lineOf.get(r.id)!, `"after" names unknown request "${dep}"`);
  const cycle = findCycle(requests);
  if (cycle) throw new TraceError(source, lineOf.get(cycle[0]!)!, `"after" forms a cycle: ${cycle.join(' → ')}`);
  return { name, description, requests };
}

/** A dependency cycle, if any (ids in order), by iterative DFS. */
function findCycle(requests: readonly TraceRequest[]): string[] | undefined {
  const byId = new Map(requests.map((r) => [r.id, r]));
  const state = new Map<string, 1 | 2>();
  for (const root of requests) {
    if (state.has(root.id)) continue;
    const stack: Array<{ id: string; next: number }> = [{ id: root.id, next: 0 }];
    state.set(root.id, 1);
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      const deps = dependenciesOf(byId.get(top.id)!);
      if (top.next >= deps.length) {
        state.set(top.id, 2);
        stack.pop();
        continue;
      }
      const dep = deps[top.next++]!;
      const s = state.get(dep);
      if (s === 1) {
        const from = stack.findIndex((f) => f.id === dep);
        return [...stack.slice(from).map((f) => f.id), dep];
      }
      if (s === undefined) {
        state.set(dep, 1);
        stack.push({ id: dep, next: 0 });
      }
    }
  }
  return undefined;
}

/** Tokens a request generates: as given, else estimated from a measured service time at the simulator's default pace. */
export const DEFAULT_TOKENS_PER_SEC = 50;
export function outputTokensOf(r: TraceRequest): number {
  return r.output_tokens ?? Math.round(((r.service_ms ?? 0) * DEFAULT_TOKENS_PER_SEC) / 1000);
}

/** One request as a JSONL line (defaults left out, so recordings stay small). */
export function formatTraceLine(r: TraceRequestInput): string {
  const out: Record<string, unknown> = { id: r.id, model: r.model };
  if (r.session !== undefined) out.session = r.session;
  if (r.at_ms !== undefined) out.at_ms = r.at_ms;
  if (r.after !== undefined) out.after = r.after;
  if (r.gap_ms !== undefined) out.gap_ms = r.gap_ms;
  out.prompt_tokens = r.prompt_tokens;
  if (r.output_tokens !== undefined) out.output_tokens = r.output_tokens;
  if (r.service_ms !== undefined) out.service_ms = r.service_ms;
  if (r.stream === false) out.stream = false;
  if (r.api !== undefined && r.api !== 'chat') out.api = r.api;
  if (r.recorded !== undefined) out.recorded = r.recorded;
  return JSON.stringify(out);
}

export function formatTraceMeta(name: string, description: string): string {
  return JSON.stringify({ trace: { name, description } });
}
