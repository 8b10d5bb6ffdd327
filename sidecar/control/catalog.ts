// GET /v1/models and GET /api/tags answered from what the sidecar knows, in
// the shapes OpenAI, Anthropic and Ollama clients expect. Each entry carries
// a `warmroute` extension field with its state on every backend.
import type { Datastore } from '../backends/datastore.ts';

type Catalog = ReturnType<Datastore['modelCatalog']>;

const CREATED = Math.floor(Date.UTC(2025, 0, 1) / 1000);

const openAiEntry = (m: Catalog[number]) => ({ id: m.model, object: 'model', created: CREATED, owned_by: 'warmroute', warmroute: { backends: m.backends } });
const anthropicEntry = (m: Catalog[number]) => ({
  type: 'model',
  id: m.model,
  display_name: m.model,
  created_at: new Date(CREATED * 1000).toISOString(),
  warmroute: { backends: m.backends },
});

export function openAiModels(catalog: Catalog): string {
  return JSON.stringify({ object: 'list', data: catalog.map(openAiEntry) });
}

/** GET /v1/models/{id}: `catalog` holds the one model. */
export function openAiModel(catalog: Catalog): string {
  return JSON.stringify(openAiEntry(catalog[0]!));
}

export function anthropicModels(catalog: Catalog): string {
  const data = catalog.map(anthropicEntry);
  return JSON.stringify({ data, has_more: false, first_id: data[0]?.id ?? null, last_id: data[data.length - 1]?.id ?? null });
}

export function anthropicModel(catalog: Catalog): string {
  return JSON.stringify(anthropicEntry(catalog[0]!));
}

export function ollamaTags(catalog: Catalog): string {
  return JSON.stringify({
    models: catalog.map((m) => ({
      name: m.model,
      model: m.model,
      modified_at: new Date(CREATED * 1000).toISOString(),
      size: 0,
      digest: '',
      details: { format: '', family: '', families: null, parameter_size: '', quantization_level: '' },
      warmroute: { backends: m.backends },
    })),
  });
}
