// Ollama's native /api/chat and /api/generate: NDJSON streaming by default,
// durations in nanoseconds, empty prompts as preload/unload requests
// (keep_alive 0 unloads).
import type { JsonObject, RequestContext } from '../../http/context.ts';
import { isObject } from '../../http/context.ts';
import { NdjsonWriter, sendJson } from '../../http/respond.ts';
import { isAbortError } from '../../core/delay.ts';
import { newTimings, type Engine } from '../../core/engine.ts';
import { estimateTokens } from '../../core/tokens.ts';
import { textOf } from '../../openai/request.ts';
import { notFoundMessage, sendOllamaError } from './errors.ts';

type Api = 'chat' | 'generate';

const ms2ns = (ms: number): number => Math.round(ms * 1e6);

/** keep_alive 0 (number or "0", "0s") means unload once done. */
function unloadsAfter(body: JsonObject): boolean {
  const k = body.keep_alive;
  return k === 0 || k === '0' || k === '0s' || k === '0m';
}

/** Read and validate the body; answers errors itself. */
export async function readOllamaBody(ctx: RequestContext, engine: Engine): Promise<{ body: JsonObject; model: string } | undefined> {
  const parsed = await ctx.json();
  if (!parsed.ok || !isObject(parsed.value)) {
    sendOllamaError(ctx, 400, 'invalid JSON body');
    return undefined;
  }
  const body = parsed.value;
  const model = typeof body.model === 'string' ? body.model : typeof body.name === 'string' ? body.name : '';
  if (!model) {
    sendOllamaError(ctx, 400, 'model is required');
    return undefined;
  }
  if (!engine.residency.has(model)) {
    sendOllamaError(ctx, 404, notFoundMessage(model));
    return undefined;
  }
  return { body, model };
}

export async function handleNative(ctx: RequestContext, engine: Engine, api: Api): Promise<void> {
  const read = await readOllamaBody(ctx, engine);
  if (!read) return;
  const { body, model } = read;
  const createdAt = (): string => new Date().toISOString();
  const prompt = api === 'chat' ? body.messages : body.prompt;
  const emptyPrompt = api === 'chat' ? !Array.isArray(prompt) || prompt.length === 0 : typeof prompt !== 'string' || prompt === '';
  const piece = (text: string): JsonObject => (api === 'chat' ? { message: { role: 'assistant', content: text } } : { response: text });

  if (emptyPrompt) {
    // Preload (or unload with keep_alive 0) without generating.
    if (unloadsAfter(body)) engine.residency.unload(model);
    else await engine.residency.load(model);
    sendJson(ctx.res, 200, { model, created_at: createdAt(), ...piece(''), done: true, done_reason: unloadsAfter(body) ? 'unload' : 'load' });
    return;
  }

  const options = isObject(body.options) ? body.options : {};
  const limit = typeof options.num_predict === 'number' && options.num_predict >= 0 ? Math.floor(options.num_predict) : undefined;
  const tokens = limit ?? engine.settings.defaultMaxTokens;
  const promptTokens = estimateTokens(textOf(prompt));
  const stream = body.stream !== false;
  const timings = newTimings();
  const started = performance.now();
  const writer = stream ? new NdjsonWriter(ctx.res) : undefined;
  let text = '';
  try {
    for await (const token of engine.generate({ model, tokens, promptTokens, signal: ctx.signal }, timings)) {
      text += token;
      writer?.send({ model, created_at: createdAt(), ...piece(token), done: false });
    }
  } catch (err) {
    if (isAbortError(err) || ctx.signal.aborted) {
      ctx.res.destroy();
      return;
    }
    throw err;
  }
  if (unloadsAfter(body)) engine.residency.unload(model);
  const final = {
    model,
    created_at: createdAt(),
    ...piece(stream ? '' : text),
    done: true,
    done_reason: limit !== undefined && timings.tokens >= limit ? 'length' : 'stop',
    ...(api === 'generate' ? { context: Array.from({ length: Math.min(timings.tokens + promptTokens, 8) }, (_, i) => i + 1) } : {}),
    total_duration: ms2ns(performance.now() - started),
    load_duration: ms2ns(timings.queuedMs),
    prompt_eval_count: promptTokens,
    prompt_eval_duration: ms2ns(timings.promptMs),
    eval_count: timings.tokens,
    eval_duration: ms2ns(timings.predictedMs),
  };
  if (writer) {
    writer.send(final);
    writer.end();
  } else {
    sendJson(ctx.res, 200, final);
  }
}
