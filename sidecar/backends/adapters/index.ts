// One adapter per server kind; the policy's `kind` picks it.
import type { BackendKind } from '../../policy/schema.ts';
import { llamaServerAdapter } from './llama-server.ts';
import { llamaSwapAdapter } from './llama-swap.ts';
import { lmstudioAdapter } from './lmstudio.ts';
import { mlxLmAdapter } from './mlx-lm.ts';
import { ollamaAdapter } from './ollama.ts';
import { omlxAdapter } from './omlx.ts';
import { openaiAdapter } from './openai.ts';
import type { Adapter } from './types.ts';
import { vllmAdapter } from './vllm.ts';

const ADAPTERS: Record<BackendKind, Adapter> = {
  openai: openaiAdapter,
  'llama-server': llamaServerAdapter,
  'llama-swap': llamaSwapAdapter,
  ollama: ollamaAdapter,
  omlx: omlxAdapter,
  lmstudio: lmstudioAdapter,
  vllm: vllmAdapter,
  'mlx-lm': mlxLmAdapter,
};

export function adapterFor(kind: BackendKind): Adapter {
  return ADAPTERS[kind];
}

export type { Adapter, ProbeHttp, ProbeResponse } from './types.ts';
