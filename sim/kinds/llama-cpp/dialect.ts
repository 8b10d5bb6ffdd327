// How llama.cpp's server talks: `Server: llama.cpp`, errors as
// {"error":{"code","message","type"}}, malformed JSON as a 500 (recorded).
import type { RequestContext } from '../../http/context.ts';
import { sendJson } from '../../http/respond.ts';
import { llamaError, type OpenAIDialect } from '../../openai/dialect.ts';

export const LLAMA_HEADERS = { Server: 'llama.cpp' };

/** Context size each simulated slot reports. */
export const N_CTX = 4096;

export function llamaDialect(resolveModel: OpenAIDialect['resolveModel']): OpenAIDialect {
  return {
    flavor: 'llama.cpp',
    headers: LLAMA_HEADERS,
    resolveModel,
    malformedJson: (detail) => llamaError(500, detail, 'server_error'),
    invalidRequest: (message) => llamaError(400, message, 'invalid_request_error'),
  };
}

export function sendLlamaError(ctx: RequestContext, status: number, message: string, type: string): void {
  sendJson(ctx.res, status, llamaError(status, message, type).body, LLAMA_HEADERS);
}

/** llama.cpp's 404 puts `code` last; key order is irrelevant to JSON readers. */
export function sendFileNotFound(ctx: RequestContext): void {
  sendJson(ctx.res, 404, { error: { message: 'File Not Found', type: 'not_found_error', code: 404 } }, LLAMA_HEADERS);
}

export function sendOk(ctx: RequestContext): void {
  sendJson(ctx.res, 200, { status: 'ok' }, LLAMA_HEADERS);
}
