// Ollama's native API answers errors as {"error":"<text>"}.
import type { RequestContext } from '../../http/context.ts';
import { sendJson } from '../../http/respond.ts';

export function sendOllamaError(ctx: RequestContext, status: number, message: string): void {
  sendJson(ctx.res, status, { error: message });
}

export function notFoundMessage(model: string): string {
  return `model "${model}" not found, try pulling it first`;
}
