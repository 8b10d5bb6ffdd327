// Ollama's model listings: /api/tags (everything pulled), /api/ps (loaded),
// /api/show, and the OpenAI-compatible /v1/models.
import { createHash } from 'node:crypto';
import type { ResidentModel } from '../../core/residency.ts';

const GB = 1024 ** 3;
/** OLLAMA_KEEP_ALIVE default: a model stays loaded this long after its last request. */
export const KEEP_ALIVE_MS = 5 * 60 * 1000;
const ZERO_TIME = '0001-01-01T00:00:00Z';

export function digestOf(id: string): string {
  return createHash('sha256').update(id).digest('hex');
}

export function sizeBytes(m: ResidentModel): number {
  return Math.round(m.sizeGB * GB);
}

export function details(): Record<string, unknown> {
  return { parent_model: '', format: 'gguf', family: 'llama', families: ['llama'], parameter_size: '7.6B', quantization_level: 'Q4_K_M' };
}

export function tagsEntry(m: ResidentModel, modifiedAt: string): Record<string, unknown> {
  return { name: m.id, model: m.id, modified_at: modifiedAt, size: sizeBytes(m), digest: digestOf(m.id), details: details(), capabilities: ['completion'] };
}

/** expires_at: zero time while the model serves its first request, else last use + keep-alive. */
export function expiresAt(m: ResidentModel): string {
  if (m.lastUsedAt === null) return new Date((m.loadedAt ?? Date.now()) + KEEP_ALIVE_MS).toISOString();
  if (m.inUse > 0) return ZERO_TIME;
  return new Date(m.lastUsedAt + KEEP_ALIVE_MS).toISOString();
}

export function psEntry(m: ResidentModel): Record<string, unknown> {
  return {
    name: m.id,
    model: m.id,
    size: sizeBytes(m),
    digest: digestOf(m.id),
    details: details(),
    expires_at: expiresAt(m),
    size_vram: sizeBytes(m),
    context_length: 4096,
  };
}

export function showBody(m: ResidentModel, modifiedAt: string): Record<string, unknown> {
  return {
    license: '',
    modelfile: `FROM /models/${m.id}.gguf\n`,
    parameters: '',
    template: '{{ .Prompt }}',
    details: details(),
    model_info: { 'general.architecture': 'llama', 'llama.context_length': 32768 },
    capabilities: ['completion'],
    modified_at: modifiedAt,
  };
}
