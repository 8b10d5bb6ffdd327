// The model entries llama-server lists on /models and /v1/models.
import type { ResidentModel } from '../../core/residency.ts';
import { N_CTX } from './dialect.ts';

const GB = 1024 ** 3;

/** `meta` of a loaded model; numbers scale with the configured size. */
export function modelMeta(m: ResidentModel): Record<string, unknown> {
  const size = Math.round(m.sizeGB * GB);
  return {
    vocab_type: 2,
    n_vocab: 151936,
    n_ctx: N_CTX,
    n_ctx_train: 32768,
    n_embd: 4096,
    n_params: Math.round(size * 1.8),
    size,
    ftype: 'Q4_K_M',
  };
}

/** Ollama-style half of llama-server's combined model list. */
export function ollamaStyleEntry(id: string): Record<string, unknown> {
  return {
    name: id,
    model: id,
    modified_at: '',
    size: '',
    digest: '',
    type: 'model',
    description: '',
    tags: [''],
    capabilities: ['completion'],
    parameters: '',
    details: { parent_model: '', format: 'gguf', family: '', families: [''], parameter_size: '', quantization_level: '' },
  };
}

/** Single-model `/v1/models`: both an Ollama-style `models` array and the OpenAI `data` array; meta is null while loading. */
export function singleModelList(m: ResidentModel, created: number): Record<string, unknown> {
  return {
    models: [ollamaStyleEntry(m.id)],
    object: 'list',
    data: [
      {
        id: m.id,
        aliases: [m.id],
        tags: [],
        object: 'model',
        created,
        owned_by: 'llamacpp',
        meta: m.state === 'warm' || m.state === 'draining' ? modelMeta(m) : null,
      },
    ],
  };
}
