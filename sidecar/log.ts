// Log lines on stderr: one sentence per event for a person at a terminal
// (what happened, to which backend, why), one JSON object per line when piped
// or with --log-format json. Every line goes through `redact` first: request
// bodies and prompts are never written, session keys only as a short hash.
import { createHash } from 'node:crypto';
import { humanLine } from './log-human.ts';

export type Logger = (event: string, fields?: Record<string, unknown>) => void;
export type LogFormat = 'human' | 'json';
export const LOG_FORMATS: readonly LogFormat[] = ['human', 'json'];

/** Fields that could carry what a user typed: dropped whatever their value. */
const CONTENT_FIELDS = new Set(['body', 'prompt', 'prompts', 'messages', 'input', 'system', 'content', 'text', 'instructions']);
/** Fields that name a session: logged as a hash so a log reader cannot recover a user or conversation id. */
const SESSION_FIELDS = new Set(['session', 'sessionKey', 'session_key']);

/** A stable, short, one-way tag for a session key (also used by the admin API). */
export function sessionTag(key: string): string {
  return 'sha256:' + createHash('sha256').update(key).digest('hex').slice(0, 12);
}

export function redact(fields: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(fields)) {
    if (CONTENT_FIELDS.has(k)) out[k] = '[redacted]';
    else if (SESSION_FIELDS.has(k)) out[k] = typeof v === 'string' && v !== '' ? sessionTag(v) : v;
    else out[k] = v;
  }
  return out;
}

/** `json` when asked (flag or WARMROUTE_LOG_FORMAT) or when stderr is not a terminal; `human` on a terminal. */
export function chooseLogFormat(asked: string | undefined = process.env.WARMROUTE_LOG_FORMAT, isTTY = process.stderr.isTTY === true): LogFormat {
  if (asked !== undefined && asked !== '') {
    if (!(LOG_FORMATS as readonly string[]).includes(asked)) throw new Error(`--log-format must be one of ${LOG_FORMATS.join(', ')} (got ${asked})`);
    return asked as LogFormat;
  }
  return isTTY ? 'human' : 'json';
}

export interface LoggerOptions {
  format?: LogFormat;
  /** WARMROUTE_LOG=silent turns logging off (tests). */
  quiet?: boolean;
  write?: (line: string) => void;
  now?: () => Date;
}

export function createLogger(component: string, o: LoggerOptions = {}): Logger {
  const format = o.format ?? chooseLogFormat();
  const quiet = o.quiet ?? process.env.WARMROUTE_LOG === 'silent';
  const write = o.write ?? ((line: string) => void process.stderr.write(line));
  const now = o.now ?? (() => new Date());
  return (event, fields = {}) => {
    if (quiet) return;
    const safe = redact(fields);
    const t = now();
    write(format === 'json' ? JSON.stringify({ t: t.toISOString(), c: component, event, ...safe }) + '\n' : `${t.toISOString().slice(11, 23)} ${humanLine(event, safe)}\n`);
  };
}

/** JSON lines regardless of the terminal (kept for callers that want machine output). */
export function jsonLogger(component: string, quiet = process.env.WARMROUTE_LOG === 'silent'): Logger {
  return createLogger(component, { format: 'json', quiet });
}
