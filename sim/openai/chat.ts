// POST /v1/chat/completions, streamed and not. Chunk layout follows the
// recorded llama-server stream; the generic flavour adds the role chunk first,
// as OpenAI does.
import type { RequestContext } from '../http/context.ts';
import { isObject } from '../http/context.ts';
import { sendJson, SseWriter } from '../http/respond.ts';
import { randomId, unixSeconds } from '../core/ids.ts';
import type { Engine } from '../core/engine.ts';
import type { OpenAIDialect } from './dialect.ts';
import { readInference, sendApiError } from './request.ts';
import { chatUsage, llamaTimings, runGeneration } from './run.ts';

const FINGERPRINT = 'b1-sim';

export async function handleChat(ctx: RequestContext, engine: Engine, dialect: OpenAIDialect): Promise<void> {
  const req = await readInference(ctx, engine, dialect, ['max_completion_tokens', 'max_tokens', 'n_predict'], ['messages']);
  if (!req) return;
  if (!Array.isArray(req.body.messages)) {
    sendApiError(ctx, dialect.invalidRequest("'messages' is required and must be an array"), dialect);
    return;
  }
  const llama = dialect.flavor === 'llama.cpp';
  const id = randomId('chatcmpl-');
  const created = unixSeconds();
  const finish = req.limited ? 'length' : 'stop';
  const base = { created, id, model: req.model.name, system_fingerprint: FINGERPRINT };

  if (!req.stream) {
    const result = await runGeneration(ctx, engine, dialect, req);
    if (!result) return;
    sendJson(
      ctx.res,
      200,
      {
        choices: [{ finish_reason: finish, index: 0, message: { role: 'assistant', content: result.text } }],
        ...base,
        object: 'chat.completion',
        usage: chatUsage(req.promptTokens, result.tokens),
        ...(llama ? { timings: llamaTimings(req.promptTokens, result.timings) } : {}),
      },
      dialect.headers,
    );
    return;
  }

  const includeUsage = isObject(req.body.stream_options) && req.body.stream_options.include_usage === true;
  const sse = new SseWriter(ctx.res, dialect.headers);
  const chunk = (choices: unknown[], extra: Record<string, unknown> = {}): unknown => ({
    choices,
    ...base,
    object: 'chat.completion.chunk',
    ...extra,
  });
  const result = await runGeneration(ctx, engine, dialect, req, (token, i) => {
    if (i === 0 && !llama) {
      sse.send(chunk([{ finish_reason: null, index: 0, delta: { role: 'assistant', content: '' } }]));
    }
    sse.send(chunk([{ finish_reason: null, index: 0, delta: { content: token } }]));
  });
  if (!result) {
    ctx.res.destroy();
    return;
  }
  if (result.tokens === 0 && !llama) {
    sse.send(chunk([{ finish_reason: null, index: 0, delta: { role: 'assistant', content: '' } }]));
  }
  const timings = llama ? { timings: llamaTimings(req.promptTokens, result.timings) } : {};
  // llama.cpp puts timings on the finish chunk unless a usage chunk follows to carry them.
  sse.send(chunk([{ finish_reason: finish, index: 0, delta: {} }], includeUsage ? {} : timings));
  if (includeUsage) sse.send(chunk([], { usage: chatUsage(req.promptTokens, result.tokens), ...timings }));
  sse.done();
  sse.end();
}
