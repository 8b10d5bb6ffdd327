// Reads what routing needs from a request: which API, the model, whether it
// streams, and a session key. Strict (bad input → a RequestError with the
// HTTP status the client gets) and bounded (no full parse of large bodies).
import { createHash } from 'node:crypto';
import { JsonSyntaxError, scanJsonObject } from './json-scan.ts';
import { checkShape, SHAPE_ARRAYS, SHAPE_KEYS } from './shape.ts';

export type ApiKind =
  | 'openai-chat'
  | 'openai-completions'
  | 'openai-embeddings'
  | 'openai-responses'
  | 'anthropic-messages'
  | 'ollama-chat'
  | 'ollama-generate'
  | 'ollama-embed';

/** POST paths the gateway routes by body, and the API each speaks. */
export const BODY_ROUTES: ReadonlyMap<string, ApiKind> = new Map([
  ['/v1/chat/completions', 'openai-chat'],
  ['/v1/completions', 'openai-completions'],
  ['/v1/embeddings', 'openai-embeddings'],
  ['/v1/responses', 'openai-responses'],
  ['/v1/messages', 'anthropic-messages'],
  ['/api/chat', 'ollama-chat'],
  ['/api/generate', 'ollama-generate'],
  ['/api/embed', 'ollama-embed'],
  ['/api/embeddings', 'ollama-embed'],
]);

export interface ParsedRequest {
  api: ApiKind;
  model: string;
  stream: boolean;
  sessionKey?: string;
  /** Where the session key came from (header name, body field, or 'prefix-hash'). */
  sessionSource?: string;
  previousResponseId?: string;
  bodyBytes: number;
}

export class RequestError extends Error {
  constructor(
    readonly status: 400 | 404 | 405 | 413 | 415,
    readonly code: string,
    message: string,
    readonly type = 'invalid_request_error',
  ) {
    super(message);
  }
}

const MAX_MODEL_NAME = 256;
const MAX_SESSION_KEY = 256;
/** Model names are ids, not paths, URLs or header payloads. */
const MODEL_NAME = /^[\w.:@+/-]+$/;
const PREFIX_HASH_LIMIT = 256 * 1024;

const WANTED = new Set(['model', 'stream', 'prompt_cache_key', 'previous_response_id', 'user', 'metadata', 'system', 'instructions', ...SHAPE_KEYS]);
const ELEMENTS = new Set<string>(SHAPE_ARRAYS);

/** Ollama's chat/generate stream unless told otherwise; the OpenAI and Anthropic APIs do not. */
const STREAMS_BY_DEFAULT: ReadonlySet<ApiKind> = new Set(['ollama-chat', 'ollama-generate']);

export interface SessionOptions {
  headers: readonly string[];
  prefixHash: boolean;
}

export function parseRequest(api: ApiKind, body: Buffer, headers: ReadonlyMap<string, string>, session: SessionOptions): ParsedRequest {
  let scan;
  try {
    scan = scanJsonObject(body, WANTED, ELEMENTS, 2);
  } catch (e) {
    if (e instanceof JsonSyntaxError) throw new RequestError(400, 'invalid_json', `Request body is not valid JSON: ${e.message}.`);
    throw e;
  }
  const raw = (key: string): string | undefined => {
    const r = scan.values.get(key);
    return r && body.toString('utf8', r[0], r[1]);
  };
  const str = (key: string): string | undefined => {
    const v = raw(key);
    if (v === undefined || v[0] !== '"') return undefined;
    return decodeJson(v, key) as string;
  };

  const modelRaw = raw('model');
  if (modelRaw === undefined) throw new RequestError(400, 'missing_model', "Request body has no 'model' field.");
  if (modelRaw[0] !== '"') throw new RequestError(400, 'invalid_model', "'model' must be a string.");
  const model = decodeJson(modelRaw, 'model') as string;
  if (model.length === 0) throw new RequestError(400, 'missing_model', "'model' is empty.");
  if (model.length > MAX_MODEL_NAME || !MODEL_NAME.test(model) || model.includes('..') || model.includes('//'))
    throw new RequestError(400, 'invalid_model', "'model' contains characters a model id cannot have.");

  const streamRaw = raw('stream');
  let stream = STREAMS_BY_DEFAULT.has(api);
  if (streamRaw === 'true') stream = true;
  else if (streamRaw === 'false') stream = false;
  else if (streamRaw !== undefined && streamRaw !== 'null') throw new RequestError(400, 'invalid_stream', "'stream' must be a boolean.");

  const parsed: ParsedRequest = { api, model, stream, bodyBytes: body.length };
  const previous = str('previous_response_id');
  if (previous) parsed.previousResponseId = previous.slice(0, MAX_SESSION_KEY);

  const found = sessionFromHeaders(headers, session.headers) ?? sessionFromBody(api, str, raw, previous);
  if (found) {
    parsed.sessionKey = found.key.slice(0, MAX_SESSION_KEY);
    parsed.sessionSource = found.source;
  } else if (session.prefixHash) {
    const h = prefixHash(api, body, scan.values, scan.elements.get('messages'));
    if (h) {
      parsed.sessionKey = h;
      parsed.sessionSource = 'prefix-hash';
    }
  }
  // After every value is decoded, so a bad escape anywhere is still reported as invalid JSON first.
  const problem = checkShape(api, body, scan);
  if (problem) throw new RequestError(400, problem.code, problem.message);
  return parsed;
}

/** Decode one small value the scanner located; its string escapes are checked here, not by the scanner. */
function decodeJson(raw: string, field: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    throw new RequestError(400, 'invalid_json', `Request body is not valid JSON: bad string in '${field}'.`);
  }
}

function sessionFromHeaders(headers: ReadonlyMap<string, string>, names: readonly string[]): { key: string; source: string } | undefined {
  for (const name of names) {
    const v = headers.get(name.toLowerCase());
    if (v) return { key: v, source: `header:${name.toLowerCase()}` };
  }
  return undefined;
}

function sessionFromBody(
  api: ApiKind,
  str: (k: string) => string | undefined,
  raw: (k: string) => string | undefined,
  previousResponseId: string | undefined,
): { key: string; source: string } | undefined {
  const pck = str('prompt_cache_key');
  if (pck) return { key: pck, source: 'body:prompt_cache_key' };
  if (previousResponseId) return { key: previousResponseId, source: 'body:previous_response_id' };
  if (api === 'anthropic-messages') {
    const meta = raw('metadata');
    if (meta && meta.length < 4096 && meta[0] === '{') {
      const userId = (decodeJson(meta, 'metadata') as { user_id?: unknown }).user_id;
      if (typeof userId === 'string') {
        const s = claudeCodeSession(userId);
        if (s) return { key: s, source: 'body:metadata.user_id' };
      }
    }
  }
  const user = str('user');
  if (user) return { key: user, source: 'body:user' };
  return undefined;
}

/** Claude Code puts its session in metadata.user_id, as `..._session_<uuid>` or as a JSON string with session_id. */
export function claudeCodeSession(userId: string): string | undefined {
  const legacy = /_session_([0-9a-fA-F-]{8,})$/.exec(userId);
  if (legacy) return legacy[1];
  if (userId.startsWith('{')) {
    try {
      const o = JSON.parse(userId) as { session_id?: unknown };
      if (typeof o.session_id === 'string' && o.session_id) return o.session_id;
    } catch {
      return undefined;
    }
  }
  return userId || undefined;
}

const SYSTEM_ROLE = /^\s*\{[^]{0,200}?"role"\s*:\s*"(system|developer)"/;

/**
 * A conversation's identity when the client sends none: the system prompt plus
 * the first user message. Both stay the same as the conversation grows (clients
 * resend history), so every turn hashes alike and lands on the warm prompt cache.
 */
function prefixHash(api: ApiKind, body: Buffer, values: Map<string, [number, number]>, messages: Array<[number, number]> | undefined): string | undefined {
  const parts: Array<[number, number]> = [];
  const sys = values.get('system') ?? values.get('instructions');
  if (sys) parts.push(sys);
  if (messages && messages.length > 0) {
    const first = messages[0]!;
    parts.push(first);
    const head = body.toString('utf8', first[0], Math.min(first[1], first[0] + 256));
    if (SYSTEM_ROLE.test(head) && messages[1]) parts.push(messages[1]);
  } else {
    const other = values.get(api === 'openai-responses' ? 'input' : 'prompt');
    if (other) parts.push(other);
  }
  if (parts.length === 0) return undefined;
  const h = createHash('sha256');
  let budget = PREFIX_HASH_LIMIT;
  for (const [s, e] of parts) {
    const end = Math.min(e, s + budget);
    h.update(body.subarray(s, end));
    budget -= end - s;
    if (budget <= 0) break;
  }
  return 'p:' + h.digest('base64url').slice(0, 22);
}
