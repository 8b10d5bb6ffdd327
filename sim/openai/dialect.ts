// How one server kind speaks the OpenAI/Anthropic protocols: which model a
// request maps to, how errors look, and the small flavour differences between
// llama.cpp-based servers (timings, no role chunk) and the rest.
import type { JsonObject, RequestContext } from '../http/context.ts';
import type { Headers } from '../http/respond.ts';

export interface ApiError {
  status: number;
  body: unknown;
  headers?: Headers;
}

export interface ResolvedModel {
  /** Engine model id (what gets loaded). */
  id: string;
  /** Name reported back in the response's `model` field. */
  name: string;
}

export type Flavor = 'llama.cpp' | 'openai';

export interface OpenAIDialect {
  flavor: Flavor;
  /** Headers on every inference answer (e.g. `Server: llama.cpp`). */
  headers: Headers;
  resolveModel(body: JsonObject, ctx: RequestContext): ResolvedModel | ApiError;
  malformedJson(detail: string): ApiError;
  invalidRequest(message: string): ApiError;
  /** Requests wait for the model to become warm instead of loading it (vLLM asleep). */
  waitForWarm?: () => boolean;
}

export function isApiError(v: ResolvedModel | ApiError): v is ApiError {
  return 'status' in v;
}

/** llama.cpp's error envelope: `{"error":{"code","message","type"}}`. */
export function llamaError(status: number, message: string, type: string): ApiError {
  return { status, body: { error: { code: status, message, type } } };
}

/** The envelope most OpenAI-compatible servers use (OpenAI itself adds param). */
export function openaiError(status: number, message: string, type: string, code: string | number | null = status): ApiError {
  return { status, body: { error: { code, message, type, param: null } } };
}
