// Drives one generation for an HTTP handler: feeds each token to the writer,
// swallows the abort of a client that went away (its slot is already free).
import type { RequestContext } from '../http/context.ts';
import { isAbortError } from '../core/delay.ts';
import { newTimings, type Engine, type GenerationTimings } from '../core/engine.ts';
import type { OpenAIDialect } from './dialect.ts';
import type { InferenceRequest } from './request.ts';

export interface RunResult {
  text: string;
  tokens: number;
  timings: GenerationTimings;
}

/** Returns undefined when the client disconnected or the server closed mid-way. */
export async function runGeneration(
  ctx: RequestContext,
  engine: Engine,
  dialect: OpenAIDialect,
  req: InferenceRequest,
  onToken?: (token: string, index: number) => void,
): Promise<RunResult | undefined> {
  const timings = newTimings();
  let text = '';
  let n = 0;
  try {
    const tokens = engine.generate(
      {
        model: req.model.id,
        tokens: req.tokens,
        promptTokens: req.promptTokens,
        signal: ctx.signal,
        waitForWarm: dialect.waitForWarm?.() ?? false,
      },
      timings,
    );
    for await (const token of tokens) {
      onToken?.(token, n);
      text += token;
      n++;
    }
  } catch (err) {
    if (isAbortError(err) || ctx.signal.aborted) return undefined;
    throw err;
  }
  return { text, tokens: n, timings };
}

/** llama.cpp's `timings` object. */
export function llamaTimings(promptTokens: number, t: GenerationTimings): Record<string, number> {
  const predictedMs = Math.max(t.predictedMs, 0.001);
  const promptMs = Math.max(t.promptMs, 0.001);
  return {
    cache_n: 0,
    prompt_n: promptTokens,
    prompt_ms: promptMs,
    prompt_per_token_ms: promptMs / promptTokens,
    prompt_per_second: (promptTokens / promptMs) * 1000,
    predicted_n: t.tokens,
    predicted_ms: predictedMs,
    predicted_per_token_ms: predictedMs / Math.max(t.tokens, 1),
    predicted_per_second: (t.tokens / predictedMs) * 1000,
  };
}

export function chatUsage(promptTokens: number, completionTokens: number): Record<string, unknown> {
  return {
    completion_tokens: completionTokens,
    prompt_tokens: promptTokens,
    total_tokens: promptTokens + completionTokens,
    prompt_tokens_details: { cached_tokens: 0 },
  };
}
