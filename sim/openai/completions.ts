// POST /v1/completions (legacy text completions), streamed and not. The last
// stream chunk carries usage, as in the recorded llama-server stream.
import type { RequestContext } from '../http/context.ts';
import { sendJson, SseWriter } from '../http/respond.ts';
import { randomId, unixSeconds } from '../core/ids.ts';
import type { Engine } from '../core/engine.ts';
import type { OpenAIDialect } from './dialect.ts';
import { readInference, sendApiError } from './request.ts';
import { chatUsage, llamaTimings, runGeneration } from './run.ts';

export async function handleCompletions(ctx: RequestContext, engine: Engine, dialect: OpenAIDialect): Promise<void> {
  const req = await readInference(ctx, engine, dialect, ['max_tokens', 'n_predict'], ['prompt']);
  if (!req) return;
  if (req.body.prompt === undefined) {
    sendApiError(ctx, dialect.invalidRequest("'prompt' is required"), dialect);
    return;
  }
  const llama = dialect.flavor === 'llama.cpp';
  const base = { created: unixSeconds(), model: req.model.name, system_fingerprint: 'b1-sim', object: 'text_completion', id: randomId('cmpl-') };
  const finish = req.limited ? 'length' : 'stop';
  const choice = (text: string, finishReason: string | null): unknown => ({ text, index: 0, logprobs: null, finish_reason: finishReason });

  if (!req.stream) {
    const result = await runGeneration(ctx, engine, dialect, req);
    if (!result) return;
    sendJson(
      ctx.res,
      200,
      {
        choices: [choice(result.text, finish)],
        ...base,
        usage: chatUsage(req.promptTokens, result.tokens),
        ...(llama ? { timings: llamaTimings(req.promptTokens, result.timings) } : {}),
      },
      dialect.headers,
    );
    return;
  }

  const sse = new SseWriter(ctx.res, dialect.headers);
  const result = await runGeneration(ctx, engine, dialect, req, (token) => {
    sse.send({ choices: [choice(token, null)], ...base });
  });
  if (!result) {
    ctx.res.destroy();
    return;
  }
  sse.send({
    choices: [choice('', finish)],
    ...base,
    usage: chatUsage(req.promptTokens, result.tokens),
    ...(llama ? { timings: llamaTimings(req.promptTokens, result.timings) } : {}),
  });
  sse.done();
  sse.end();
}
