// Which servers can load a model on request, and the call that does it (from
// ../shared/docs/backends.md). Pure data: the scheduler reads which kinds can
// pre-warm; the executor sends the call.
import type { BackendKind } from '../policy/schema.ts';

export interface LoadCall {
  method: 'GET' | 'POST';
  path: string;
  body?: unknown;
  /** Answers that mean "already loaded or loading": the goal is met. */
  alreadyStatuses?: readonly number[];
}

/** How long Ollama keeps a pre-warmed model: its own default (OLLAMA_KEEP_ALIVE). */
export const OLLAMA_PREWARM_KEEP_ALIVE = '5m';

const LOAD_CALLS: Partial<Record<BackendKind, (modelId: string) => LoadCall>> = {
  // llama-server in router mode: asynchronous; 400 "model is already running" when loaded or loading.
  'llama-server': (model) => ({ method: 'POST', path: '/models/load', body: { model }, alreadyStatuses: [400] }),
  // llama-swap: the raw passthrough to a model's process swaps it in first; its /health answers once ready.
  'llama-swap': (model) => ({ method: 'GET', path: `/upstream/${encodeURIComponent(model)}/health` }),
  // Ollama: a generate request with no prompt loads the model ("done_reason":"load").
  ollama: (model) => ({ method: 'POST', path: '/api/generate', body: { model, keep_alive: OLLAMA_PREWARM_KEEP_ALIVE } }),
  // LM Studio's native REST API (>= 0.4.0).
  lmstudio: (model) => ({ method: 'POST', path: '/api/v1/models/load', body: { model } }),
};

/** oMLX, vLLM, mlx-lm and plain OpenAI servers have no load call: they load on the first request, or hold one model. */
export function loadCallFor(kind: BackendKind, modelId: string): LoadCall | undefined {
  return LOAD_CALLS[kind]?.(modelId);
}

export function canPrewarm(kind: BackendKind): boolean {
  return LOAD_CALLS[kind] !== undefined;
}
