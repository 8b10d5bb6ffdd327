// LM Studio: /api/v0/models (>= 0.3.6) has `state` loaded / not-loaded per model; /api/v1/models
// (>= 0.4.0) has `loaded_instances` with their `parallel` setting and `size_bytes`. v0 is the
// source of truth for residency (its ids are the ones the OpenAI endpoints take); v1 adds slots
// and sizes, and stands in when v0 is gone. No in-flight or queue count is exposed over HTTP.
import { z } from 'zod';

import type { BackendSnapshot, ModelState, ProbedModel } from '../snapshot.ts';
import { fetchJson, optionalCount } from './answers.ts';
import { defineAdapter, unhealthy } from './define.ts';
import { nameForPolicy } from './model-names.ts';

const V0Answer = z.object({ data: z.array(z.object({ id: z.string().min(1), state: z.string() })) });

const V1Model = z.object({
  key: z.string().min(1),
  size_bytes: optionalCount,
  loaded_instances: z
    .array(z.object({ id: z.string(), config: z.object({ parallel: z.number().int().positive().optional().catch(undefined) }).optional().catch(undefined) }))
    .default([]),
});
type V1Model = z.infer<typeof V1Model>;
const V1Answer = z.object({ models: z.array(V1Model) });

function v0State(state: string): ModelState {
  if (state === 'loaded') return 'warm';
  // Not in the documented values, but the obvious name should a build report it.
  if (state === 'loading') return 'loading';
  return 'cold';
}

function parallelOf(m: V1Model): number | undefined {
  const known = m.loaded_instances.map((i) => i.config?.parallel).filter((p): p is number => p !== undefined);
  return known.length > 0 ? known.reduce((a, b) => a + b, 0) : undefined;
}

export const lmstudioAdapter = defineAdapter('lmstudio', async (http, spec) => {
  const [v0, v1] = await Promise.all([fetchJson(http, '/api/v0/models', V0Answer), fetchJson(http, '/api/v1/models', V1Answer)]);
  if (!v0.ok && !v1.ok) return unhealthy(v0.reason);
  const v1ByName = new Map<string, V1Model>();
  if (v1.ok) {
    for (const m of v1.value.models) {
      v1ByName.set(m.key, m);
      for (const inst of m.loaded_instances) if (!v1ByName.has(inst.id)) v1ByName.set(inst.id, m);
    }
  }
  const enrich = (pm: ProbedModel, m: V1Model | undefined): ProbedModel => {
    if (!m) return pm;
    if (m.size_bytes !== undefined) pm.sizeBytes = m.size_bytes;
    const parallel = parallelOf(m);
    if (parallel !== undefined && pm.state === 'warm') pm.slots = parallel;
    return pm;
  };
  const models: ProbedModel[] = v0.ok
    ? v0.value.data.map((m) => enrich({ id: nameForPolicy(spec, m.id), state: v0State(m.state) }, v1ByName.get(m.id)))
    : (v1.ok ? v1.value.models : []).map((m) =>
        enrich({ id: nameForPolicy(spec, m.key), state: m.loaded_instances.length > 0 ? 'warm' : 'cold' }, m),
      );
  const snap: BackendSnapshot = { healthy: true, knowsLoaded: true, loading: models.some((m) => m.state === 'loading'), models };
  const slotCounts = models.map((m) => m.slots).filter((s): s is number => s !== undefined);
  if (slotCounts.length > 0) snap.slots = slotCounts.reduce((a, b) => a + b, 0);
  return snap;
});
