// Reading one server answer: status, JSON, then the zod shape we expect. Every
// way that can go wrong (transport, status, syntax, shape) becomes a value with
// a short reason, so adapters decide what a failure means instead of catching.
import { z } from 'zod';

import type { ProbeHttp, ProbeResponse } from './types.ts';

export type Answer<T> =
  | { ok: true; status: number; value: T }
  /** `status` is absent when no HTTP answer arrived (connection refused, timeout). `message` is the server's own error text, if any. */
  | { ok: false; status?: number; message?: string; reason: string };

/** The error envelopes local servers use: OpenAI-style `{error:{message}}`, Ollama `{error:"..."}`, old llama.cpp `{status:"..."}`. */
const ErrorEnvelope = z.union([
  z.object({ error: z.object({ message: z.string() }) }).transform((e) => e.error.message),
  z.object({ error: z.string() }).transform((e) => e.error),
  z.object({ status: z.string() }).transform((e) => e.status),
]);

export function describeError(err: unknown): string {
  if (err instanceof Error) {
    const cause = (err as Error & { cause?: unknown }).cause;
    // undici hides the useful part (ECONNREFUSED, ENOTFOUND) in `cause`.
    if (cause instanceof Error && cause.message && !err.message.includes(cause.message)) return `${err.message}: ${cause.message}`;
    return err.message || err.name;
  }
  return String(err);
}

async function fetchRaw(http: ProbeHttp, path: string): Promise<{ ok: true; res: ProbeResponse } | { ok: false; reason: string }> {
  try {
    return { ok: true, res: await http.get(path) };
  } catch (err) {
    return { ok: false, reason: `GET ${path}: ${describeError(err)}` };
  }
}

function serverMessage(body: string): string | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    const text = body.trim();
    return text && text.length <= 200 ? text : undefined;
  }
  const env = ErrorEnvelope.safeParse(parsed);
  return env.success ? env.data : undefined;
}

function shapeProblem(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return 'unexpected shape';
  const at = issue.path.length > 0 ? ` at ${issue.path.map(String).join('.')}` : '';
  return `unexpected shape${at}: ${issue.message}`;
}

/** GET `path` and require a 2xx; the body as text (Prometheus metrics, plain "OK"). */
export async function fetchText(http: ProbeHttp, path: string): Promise<Answer<string>> {
  const raw = await fetchRaw(http, path);
  if (!raw.ok) return raw;
  const { status, body } = raw.res;
  if (status < 200 || status > 299) {
    const message = serverMessage(body);
    return { ok: false, status, message, reason: `GET ${path}: HTTP ${status}${message ? ` ${message}` : ''}` };
  }
  return { ok: true, status, value: body };
}

/** GET `path`, require a 2xx, parse JSON and validate it with `schema`. */
export async function fetchJson<S extends z.ZodType>(http: ProbeHttp, path: string, schema: S): Promise<Answer<z.output<S>>> {
  const text = await fetchText(http, path);
  if (!text.ok) return text;
  const { status, value: body } = text;
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return { ok: false, status, reason: `GET ${path}: answer is not JSON` };
  }
  const checked = schema.safeParse(parsed);
  if (!checked.success) return { ok: false, status, reason: `GET ${path}: ${shapeProblem(checked.error)}` };
  return { ok: true, status, value: checked.data };
}

/** A number field the probe can do without: a wrong type or a negative value reads as absent rather than failing the answer. */
export const optionalCount = z.number().nonnegative().optional().catch(undefined);
