// Kind name → implementation.
import type { SimKind } from '../spec.ts';
import type { KindDefinition } from './kind.ts';
import { openaiKind } from './openai.ts';
import { llamaServerKind } from './llama-server.ts';
import { llamaServerRouterKind } from './llama-server-router.ts';
import { llamaSwapKind } from './llama-swap.ts';
import { ollamaKind } from './ollama/index.ts';
import { omlxKind } from './omlx.ts';
import { lmstudioKind } from './lmstudio.ts';
import { vllmKind } from './vllm.ts';
import { mlxLmKind } from './mlx-lm.ts';

export const KINDS: Record<SimKind, KindDefinition> = {
  openai: openaiKind,
  'llama-server': llamaServerKind,
  'llama-server-router': llamaServerRouterKind,
  'llama-swap': llamaSwapKind,
  ollama: ollamaKind,
  omlx: omlxKind,
  lmstudio: lmstudioKind,
  vllm: vllmKind,
  'mlx-lm': mlxLmKind,
};
