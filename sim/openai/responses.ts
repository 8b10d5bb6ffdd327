// POST /v1/responses (OpenAI Responses API), streamed and not. Event names and
// order follow the recorded llama-server stream; each event also carries the
// indexes and sequence numbers the official client's accumulator needs.
import type { RequestContext } from '../http/context.ts';
import { sendJson, SseWriter } from '../http/respond.ts';
import { randomId, unixSeconds } from '../core/ids.ts';
import type { Engine } from '../core/engine.ts';
import type { OpenAIDialect } from './dialect.ts';
import { readInference } from './request.ts';
import { llamaTimings, runGeneration } from './run.ts';

function outputText(text: string): Record<string, unknown> {
  return { type: 'output_text', annotations: [], logprobs: [], text };
}

function usage(input: number, output: number): Record<string, unknown> {
  return {
    input_tokens: input,
    output_tokens: output,
    total_tokens: input + output,
    input_tokens_details: { cached_tokens: 0 },
    output_tokens_details: { reasoning_tokens: 0 },
  };
}

export async function handleResponses(ctx: RequestContext, engine: Engine, dialect: OpenAIDialect): Promise<void> {
  const req = await readInference(ctx, engine, dialect, ['max_output_tokens'], ['input', 'instructions']);
  if (!req) return;
  const id = randomId('resp_');
  const msgId = randomId('msg_');
  const createdAt = unixSeconds();
  const message = (status: string, content: unknown[]): Record<string, unknown> => ({
    type: 'message',
    status,
    id: msgId,
    content,
    role: 'assistant',
  });
  const response = (status: string, output: unknown[], extra: Record<string, unknown> = {}): Record<string, unknown> => ({
    id,
    object: 'response',
    created_at: createdAt,
    status,
    model: req.model.name,
    output,
    ...extra,
  });

  if (!req.stream) {
    const result = await runGeneration(ctx, engine, dialect, req);
    if (!result) return;
    sendJson(
      ctx.res,
      200,
      response('completed', [message('completed', [outputText(result.text)])], {
        completed_at: unixSeconds(),
        usage: usage(req.promptTokens, result.tokens),
      }),
      dialect.headers,
    );
    return;
  }

  const sse = new SseWriter(ctx.res, dialect.headers);
  let seq = 0;
  const emit = (type: string, payload: Record<string, unknown>): void => sse.send({ type, sequence_number: seq++, ...payload }, type);
  const at = { item_id: msgId, output_index: 0, content_index: 0 };
  const result = await runGeneration(ctx, engine, dialect, req, (token, i) => {
    if (i === 0) {
      emit('response.created', { response: response('in_progress', []) });
      emit('response.in_progress', { response: response('in_progress', []) });
      emit('response.output_item.added', { output_index: 0, item: message('in_progress', []) });
      emit('response.content_part.added', { ...at, part: outputText('') });
    }
    emit('response.output_text.delta', { ...at, delta: token, logprobs: [] });
  });
  if (!result) {
    ctx.res.destroy();
    return;
  }
  if (result.tokens === 0) {
    emit('response.created', { response: response('in_progress', []) });
    emit('response.in_progress', { response: response('in_progress', []) });
    emit('response.output_item.added', { output_index: 0, item: message('in_progress', []) });
    emit('response.content_part.added', { ...at, part: outputText('') });
  }
  const done = message('completed', [outputText(result.text)]);
  emit('response.output_text.done', { ...at, text: result.text, logprobs: [] });
  emit('response.content_part.done', { ...at, part: outputText(result.text) });
  emit('response.output_item.done', { output_index: 0, item: done });
  emit('response.completed', {
    response: response('completed', [done], { completed_at: unixSeconds(), usage: usage(req.promptTokens, result.tokens) }),
    ...(dialect.flavor === 'llama.cpp' ? { timings: llamaTimings(req.promptTokens, result.timings) } : {}),
  });
  sse.end();
}
