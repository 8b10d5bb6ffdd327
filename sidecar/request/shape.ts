// Per-API shape checks before dispatch: a request its backend would refuse is
// refused here, so it never queues for a slot or costs a cold model load.
// Only what every backend of that API refuses is checked (the required fields
// and their JSON kinds), from the scanner's ranges: no value is decoded except
// Anthropic's small `max_tokens`.
import type { ScanResult } from './json-scan.ts';
import type { ApiKind } from './parse.ts';

/** The JSON kind of a value, read from its first byte. */
export type JsonKind = 'string' | 'array' | 'object' | 'null' | 'boolean' | 'number';

export interface ShapeProblem {
  code: string;
  message: string;
}

/** Top-level keys the checks read (the scanner must collect them). */
export const SHAPE_KEYS = ['messages', 'max_tokens', 'prompt', 'input', 'content', 'previous_response_id'] as const;
/** Top-level array keys whose elements the checks count. */
export const SHAPE_ARRAYS = ['messages'] as const;

function kindAt(body: Buffer, range: [number, number] | undefined): JsonKind | undefined {
  if (!range) return undefined;
  const c = body[range[0]];
  if (c === 0x22) return 'string';
  if (c === 0x5b) return 'array';
  if (c === 0x7b) return 'object';
  if (c === 0x6e) return 'null';
  if (c === 0x74 || c === 0x66) return 'boolean';
  return 'number';
}

/** Returns the first problem, or undefined when the request has the shape its API requires. */
export function checkShape(api: ApiKind, body: Buffer, scan: ScanResult): ShapeProblem | undefined {
  const kind = (key: string): JsonKind | undefined => kindAt(body, scan.values.get(key));
  const present = (key: string): boolean => {
    const k = kind(key);
    return k !== undefined && k !== 'null';
  };
  switch (api) {
    case 'openai-chat':
      return conversation(kind('messages'), scan, false);
    case 'anthropic-messages':
      return maxTokens(body, scan.values.get('max_tokens')) ?? conversation(kind('messages'), scan, false);
    case 'ollama-chat':
      // No or empty messages is Ollama's load (or, with keep_alive 0, unload) request.
      return conversation(kind('messages'), scan, true);
    case 'openai-completions':
      if (!present('prompt')) return { code: 'missing_prompt', message: "'prompt' is required." };
      return textOrList(kind('prompt'), 'prompt', 'invalid_prompt');
    case 'openai-embeddings': {
      // llama-server also takes its native `content` in place of `input`.
      const field = present('input') ? 'input' : present('content') ? 'content' : undefined;
      if (!field) return { code: 'missing_input', message: "'input' is required." };
      return textOrList(kind(field), field, 'invalid_input');
    }
    case 'openai-responses':
      if (!present('input')) {
        if (present('previous_response_id')) return undefined;
        return { code: 'missing_input', message: "'input' is required (or 'previous_response_id')." };
      }
      return textOrList(kind('input'), 'input', 'invalid_input');
    case 'ollama-generate':
      // No prompt is Ollama's load request; a prompt must be text.
      if (present('prompt') && kind('prompt') !== 'string') return { code: 'invalid_prompt', message: "'prompt' must be a string." };
      return undefined;
    case 'ollama-embed':
      // /api/embed takes `input` (no input loads the model); the legacy /api/embeddings takes a `prompt` string.
      if (present('input')) return textOrList(kind('input'), 'input', 'invalid_input');
      if (present('prompt') && kind('prompt') !== 'string') return { code: 'invalid_prompt', message: "'prompt' must be a string." };
      return undefined;
  }
}

function conversation(kind: JsonKind | undefined, scan: ScanResult, mayBeEmpty: boolean): ShapeProblem | undefined {
  if (mayBeEmpty && (kind === undefined || kind === 'null')) return undefined;
  if (kind === undefined || kind === 'null') return { code: 'invalid_messages', message: "'messages' is required." };
  if (kind !== 'array') return { code: 'invalid_messages', message: "'messages' must be an array of message objects." };
  const count = scan.counts.get('messages');
  if (!count || (count.elements === 0 && !mayBeEmpty)) return { code: 'invalid_messages', message: "'messages' must not be empty." };
  if (count.nonObjects > 0) return { code: 'invalid_messages', message: "Every entry of 'messages' must be a message object." };
  return undefined;
}

function textOrList(kind: JsonKind | undefined, field: string, code: string): ShapeProblem | undefined {
  if (kind === 'string' || kind === 'array') return undefined;
  return { code, message: `'${field}' must be a string or an array.` };
}

/** Anthropic requires `max_tokens`, a positive integer. */
function maxTokens(body: Buffer, range: [number, number] | undefined): ShapeProblem | undefined {
  if (!range || kindAt(body, range) === 'null') return { code: 'missing_max_tokens', message: "'max_tokens' is required." };
  if (kindAt(body, range) !== 'number') return { code: 'invalid_max_tokens', message: "'max_tokens' must be a positive integer." };
  const n = Number(body.toString('latin1', range[0], range[1]));
  if (!Number.isSafeInteger(n) || n < 1) return { code: 'invalid_max_tokens', message: "'max_tokens' must be a positive integer." };
  return undefined;
}
