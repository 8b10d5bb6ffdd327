// mlx-lm (`mlx_lm.server`): /v1/models lists the models it could serve (HF cache plus --model),
// but nothing over HTTP says which one is in memory (it keeps one and swaps per request), nor
// in-flight counts or slots. So every model is reported cold with knowsLoaded=false: "cold"
// here means "not known to be loaded", and the sidecar's own observations (first bytes seen)
// are the only evidence of what is warm.
import { z } from 'zod';

import { fetchJson } from './answers.ts';
import { defineAdapter, unhealthy } from './define.ts';
import { nameForPolicy } from './model-names.ts';

const ModelsAnswer = z.object({ data: z.array(z.object({ id: z.string().min(1) })) });

export const mlxLmAdapter = defineAdapter('mlx-lm', async (http, spec) => {
  const models = await fetchJson(http, '/v1/models', ModelsAnswer);
  if (!models.ok) return unhealthy(models.reason, false);
  return {
    healthy: true,
    knowsLoaded: false,
    loading: false,
    models: models.value.data.map((m) => ({ id: nameForPolicy(spec, m.id), state: 'cold' as const })),
  };
});
