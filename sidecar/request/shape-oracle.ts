// The reference for the gateway's request checks, written the slow, obvious
// way (JSON.parse, then look at the object): the property and fuzz tests
// compare the single-pass scanner and `checkShape` against it. Not used on the
// request path.
import { isUtf8 } from 'node:buffer';
import type { ApiKind } from './parse.ts';

export interface Verdict {
  status: 400;
  code: string;
}

const MODEL_NAME = /^[\w.:@+/-]+$/;
/** The gateway bounds nesting (objects and arrays inside each other) at this depth. */
export const MAX_NESTING = 512;
type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const present = (o: Obj, k: string): boolean => Object.prototype.hasOwnProperty.call(o, k) && o[k] !== null;
const textOrList = (v: unknown): boolean => typeof v === 'string' || Array.isArray(v);

/** What the gateway must answer for `text` on `api`: a 400 with this code, or undefined (the request is routed). */
export function expectedRefusal(api: ApiKind, raw: string | Buffer): Verdict | undefined {
  if (Buffer.isBuffer(raw) && !isUtf8(raw)) return { status: 400, code: 'invalid_json' };
  let body: unknown;
  try {
    body = JSON.parse(raw.toString());
  } catch {
    return { status: 400, code: 'invalid_json' };
  }
  if (!isObj(body) || nesting(body) > MAX_NESTING) return { status: 400, code: 'invalid_json' };
  const model = body.model;
  if (model === undefined || model === '') return { status: 400, code: 'missing_model' };
  if (typeof model !== 'string' || model.length > 256 || !MODEL_NAME.test(model) || model.includes('..') || model.includes('//'))
    return { status: 400, code: 'invalid_model' };
  const stream = body.stream;
  if (stream !== undefined && stream !== null && typeof stream !== 'boolean') return { status: 400, code: 'invalid_stream' };
  const code = shapeCode(api, body);
  return code === undefined ? undefined : { status: 400, code };
}

function nesting(v: unknown): number {
  if (typeof v !== 'object' || v === null) return 0;
  let deepest = 0;
  for (const x of Array.isArray(v) ? v : Object.values(v)) deepest = Math.max(deepest, nesting(x));
  return deepest + 1;
}

/** The shape rule of each API, over a parsed body. */
export function shapeCode(api: ApiKind, b: Obj): string | undefined {
  const messages = (mayBeEmpty: boolean): string | undefined => {
    const m = b.messages;
    if (mayBeEmpty && (m === undefined || m === null)) return undefined;
    if (!Array.isArray(m)) return 'invalid_messages';
    if (m.length === 0 && !mayBeEmpty) return 'invalid_messages';
    return m.every(isObj) ? undefined : 'invalid_messages';
  };
  switch (api) {
    case 'openai-chat':
      return messages(false);
    case 'anthropic-messages': {
      if (!present(b, 'max_tokens')) return 'missing_max_tokens';
      const n = b.max_tokens;
      if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 1) return 'invalid_max_tokens';
      return messages(false);
    }
    case 'ollama-chat':
      return messages(true);
    case 'openai-completions':
      if (!present(b, 'prompt')) return 'missing_prompt';
      return textOrList(b.prompt) ? undefined : 'invalid_prompt';
    case 'openai-embeddings': {
      const v = present(b, 'input') ? b.input : present(b, 'content') ? b.content : undefined;
      if (v === undefined) return 'missing_input';
      return textOrList(v) ? undefined : 'invalid_input';
    }
    case 'openai-responses':
      if (!present(b, 'input')) return present(b, 'previous_response_id') ? undefined : 'missing_input';
      return textOrList(b.input) ? undefined : 'invalid_input';
    case 'ollama-generate':
      return present(b, 'prompt') && typeof b.prompt !== 'string' ? 'invalid_prompt' : undefined;
    case 'ollama-embed':
      if (present(b, 'input')) return textOrList(b.input) ? undefined : 'invalid_input';
      return present(b, 'prompt') && typeof b.prompt !== 'string' ? 'invalid_prompt' : undefined;
  }
}
