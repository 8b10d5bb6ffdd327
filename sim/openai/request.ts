// Reads the fields every inference endpoint shares: the model (via the
// dialect), stream flag, token limit and a prompt-size estimate.
import type { RequestContext, JsonObject } from '../http/context.ts';
import { isObject } from '../http/context.ts';
import { sendJson } from '../http/respond.ts';
import { estimateTokens } from '../core/tokens.ts';
import type { Engine } from '../core/engine.ts';
import { isApiError, type ApiError, type OpenAIDialect, type ResolvedModel } from './dialect.ts';

export interface InferenceRequest {
  body: JsonObject;
  model: ResolvedModel;
  stream: boolean;
  /** Tokens to generate. */
  tokens: number;
  /** True when the request set the limit, so hitting it is a "length" finish. */
  limited: boolean;
  promptTokens: number;
}

/** An error with its own headers comes from a proxy in front (llama-swap), not from the model server. */
export function sendApiError(ctx: RequestContext, err: ApiError, dialect?: OpenAIDialect): void {
  sendJson(ctx.res, err.status, err.body, err.headers ?? dialect?.headers ?? {});
}

/** Text of anything message-like: strings, content parts, nested arrays. */
export function textOf(v: unknown): string {
  if (typeof v === 'string') return v;
  if (Array.isArray(v)) return v.map(textOf).join(' ');
  if (isObject(v)) {
    if (typeof v.text === 'string') return v.text;
    if ('content' in v) return textOf(v.content);
    if ('input' in v) return textOf(v.input);
  }
  return '';
}

function limitOf(body: JsonObject, fields: readonly string[]): number | undefined {
  for (const f of fields) {
    const v = body[f];
    if (typeof v === 'number' && Number.isFinite(v) && v >= 0) return Math.floor(v);
  }
  return undefined;
}

/**
 * Parse and validate; on any problem the error answer is already sent and
 * undefined is returned.
 */
export async function readInference(
  ctx: RequestContext,
  engine: Engine,
  dialect: OpenAIDialect,
  limitFields: readonly string[],
  promptFields: readonly string[],
): Promise<InferenceRequest | undefined> {
  const parsed = await ctx.json();
  if (!parsed.ok) {
    sendApiError(ctx, dialect.malformedJson(parsed.error), dialect);
    return undefined;
  }
  if (!isObject(parsed.value)) {
    sendApiError(ctx, dialect.invalidRequest('request body must be a JSON object'), dialect);
    return undefined;
  }
  const body = parsed.value;
  const model = dialect.resolveModel(body, ctx);
  if (isApiError(model)) {
    sendApiError(ctx, model, dialect);
    return undefined;
  }
  const limit = limitOf(body, limitFields);
  const prompt = promptFields.map((f) => textOf(body[f])).join(' ');
  return {
    body,
    model,
    stream: body.stream === true,
    tokens: limit ?? engine.settings.defaultMaxTokens,
    limited: limit !== undefined,
    promptTokens: estimateTokens(prompt),
  };
}
