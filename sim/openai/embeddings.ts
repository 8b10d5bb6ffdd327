// POST /v1/embeddings: deterministic vectors; honours encoding_format=base64,
// which the official openai client requests by default.
import type { RequestContext } from '../http/context.ts';
import { sendJson } from '../http/respond.ts';
import { embeddingFor, estimateTokens } from '../core/tokens.ts';
import type { Engine } from '../core/engine.ts';
import type { OpenAIDialect } from './dialect.ts';
import { readInference, sendApiError } from './request.ts';
import { runGeneration } from './run.ts';

function inputsOf(input: unknown): string[] | undefined {
  if (typeof input === 'string') return [input];
  if (Array.isArray(input) && input.length > 0) return input.map((x) => (typeof x === 'string' ? x : JSON.stringify(x)));
  return undefined;
}

function base64Of(vector: number[]): string {
  return Buffer.from(new Float32Array(vector).buffer).toString('base64');
}

export async function handleEmbeddings(ctx: RequestContext, engine: Engine, dialect: OpenAIDialect): Promise<void> {
  const req = await readInference(ctx, engine, dialect, [], ['input']);
  if (!req) return;
  const inputs = inputsOf(req.body.input ?? req.body.content);
  if (!inputs) {
    sendApiError(ctx, dialect.invalidRequest("'input' is required"), dialect);
    return;
  }
  // Embedding costs no generated tokens but still needs the model warm and a slot.
  const result = await runGeneration(ctx, engine, dialect, { ...req, tokens: 0 });
  if (!result) return;
  const base64 = req.body.encoding_format === 'base64';
  const tokens = inputs.reduce((s, t) => s + estimateTokens(t), 0);
  sendJson(
    ctx.res,
    200,
    {
      model: req.model.name,
      object: 'list',
      usage: { prompt_tokens: tokens, total_tokens: tokens },
      data: inputs.map((text, index) => {
        const vector = embeddingFor(text);
        return { embedding: base64 ? base64Of(vector) : vector, index, object: 'embedding' };
      }),
    },
    dialect.headers,
  );
}
