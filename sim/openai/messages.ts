// Anthropic POST /v1/messages (streamed and not) and /v1/messages/count_tokens.
// Stream events follow the recorded llama-server stream, which is also the
// order the Anthropic API documents.
import type { RequestContext } from '../http/context.ts';
import { sendJson, SseWriter } from '../http/respond.ts';
import { randomId } from '../core/ids.ts';
import type { Engine } from '../core/engine.ts';
import type { OpenAIDialect } from './dialect.ts';
import { readInference, sendApiError } from './request.ts';
import { runGeneration } from './run.ts';

export async function handleMessages(ctx: RequestContext, engine: Engine, dialect: OpenAIDialect): Promise<void> {
  const req = await readInference(ctx, engine, dialect, ['max_tokens'], ['system', 'messages']);
  if (!req) return;
  if (!Array.isArray(req.body.messages)) {
    sendApiError(ctx, dialect.invalidRequest("'messages' is required and must be an array"), dialect);
    return;
  }
  const id = dialect.flavor === 'llama.cpp' ? randomId('chatcmpl-') : randomId('msg_', 24);
  const stopReason = req.limited ? 'max_tokens' : 'end_turn';
  const message = (content: unknown[], stop: string | null, outputTokens: number): Record<string, unknown> => ({
    id,
    type: 'message',
    role: 'assistant',
    content,
    model: req.model.name,
    stop_reason: stop,
    stop_sequence: null,
    usage: { cache_read_input_tokens: 0, input_tokens: req.promptTokens, output_tokens: outputTokens },
  });

  if (!req.stream) {
    const result = await runGeneration(ctx, engine, dialect, req);
    if (!result) return;
    sendJson(ctx.res, 200, message([{ type: 'text', text: result.text }], stopReason, result.tokens), dialect.headers);
    return;
  }

  const sse = new SseWriter(ctx.res, dialect.headers);
  const emit = (type: string, payload: Record<string, unknown>): void => sse.send({ type, ...payload }, type);
  const start = (): void => {
    emit('message_start', { message: message([], null, 0) });
    emit('content_block_start', { index: 0, content_block: { type: 'text', text: '' } });
  };
  const result = await runGeneration(ctx, engine, dialect, req, (token, i) => {
    if (i === 0) start();
    emit('content_block_delta', { index: 0, delta: { type: 'text_delta', text: token } });
  });
  if (!result) {
    ctx.res.destroy();
    return;
  }
  if (result.tokens === 0) start();
  emit('content_block_stop', { index: 0 });
  emit('message_delta', { delta: { stop_reason: stopReason, stop_sequence: null }, usage: { output_tokens: result.tokens } });
  emit('message_stop', {});
  sse.end();
}

export async function handleCountTokens(ctx: RequestContext, engine: Engine, dialect: OpenAIDialect): Promise<void> {
  const req = await readInference(ctx, engine, dialect, [], ['system', 'messages']);
  if (!req) return;
  sendJson(ctx.res, 200, { input_tokens: req.promptTokens }, dialect.headers);
}
