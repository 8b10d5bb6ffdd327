// Ollama's /api/embed (batch) and legacy /api/embeddings (single prompt).
import type { RequestContext } from '../../http/context.ts';
import { sendJson } from '../../http/respond.ts';
import { isAbortError } from '../../core/delay.ts';
import { newTimings, type Engine } from '../../core/engine.ts';
import { embeddingFor, estimateTokens } from '../../core/tokens.ts';
import { readOllamaBody } from './native.ts';
import { sendOllamaError } from './errors.ts';

export async function handleEmbed(ctx: RequestContext, engine: Engine, legacy: boolean): Promise<void> {
  const read = await readOllamaBody(ctx, engine);
  if (!read) return;
  const { body, model } = read;
  const raw = legacy ? body.prompt : body.input;
  const inputs = typeof raw === 'string' ? [raw] : Array.isArray(raw) ? raw.map(String) : undefined;
  if (!inputs) {
    sendOllamaError(ctx, 400, legacy ? 'prompt is required' : 'input is required');
    return;
  }
  const timings = newTimings();
  const started = performance.now();
  try {
    // No tokens generated, but the model must be loaded and a slot free.
    await engine.occupy({ model, tokens: 0, signal: ctx.signal }, timings);
  } catch (err) {
    if (isAbortError(err) || ctx.signal.aborted) return;
    throw err;
  }
  if (legacy) {
    sendJson(ctx.res, 200, { embedding: embeddingFor(inputs[0] ?? '') });
    return;
  }
  sendJson(ctx.res, 200, {
    model,
    embeddings: inputs.map((t) => embeddingFor(t)),
    total_duration: Math.round((performance.now() - started) * 1e6),
    load_duration: Math.round(timings.queuedMs * 1e6),
    prompt_eval_count: inputs.reduce((s, t) => s + estimateTokens(t), 0),
  });
}
