// Ollama: /api/ps lists the models in memory (warm), /api/tags every local model (the rest are
// cold). Ollama exposes no in-flight count, no slot count (OLLAMA_NUM_PARALLEL is env only),
// no "loading" flag and no memory totals; a model whose load is under way already sits in
// /api/ps (and /api/ps may not answer until that load ends).
import { z } from 'zod';

import type { BackendSnapshot, ProbedModel } from '../snapshot.ts';
import { fetchJson, optionalCount } from './answers.ts';
import { defineAdapter, unhealthy } from './define.ts';
import { nameForPolicy } from './model-names.ts';

const LocalModel = z.object({
  name: z.string().min(1),
  size: optionalCount,
  /** Cloud models (served by ollama.com through this server) carry these; they never load locally. */
  remote_host: z.string().optional().catch(undefined),
  remote_model: z.string().optional().catch(undefined),
});
// Go encodes an empty slice that was never allocated as null.
const TagsAnswer = z.object({ models: z.array(LocalModel).nullable() });
const PsAnswer = z.object({ models: z.array(z.object({ name: z.string().min(1), size: optionalCount, size_vram: optionalCount })).nullable() });

/** `llama3:latest` is also `llama3` to Ollama: let the policy use either. */
function otherNames(name: string): string[] {
  return name.endsWith(':latest') ? [name.slice(0, -':latest'.length)] : [];
}

export const ollamaAdapter = defineAdapter('ollama', async (http, spec) => {
  const [tags, ps] = await Promise.all([fetchJson(http, '/api/tags', TagsAnswer), fetchJson(http, '/api/ps', PsAnswer)]);
  if (!tags.ok && !ps.ok) return unhealthy(tags.reason);
  const models = new Map<string, ProbedModel>();
  let usedBytes: number | undefined;
  if (ps.ok) {
    usedBytes = 0;
    for (const m of ps.value.models ?? []) {
      const pm: ProbedModel = { id: nameForPolicy(spec, m.name, otherNames(m.name)), state: 'warm' };
      if (m.size !== undefined) {
        pm.sizeBytes = m.size;
        usedBytes += m.size;
      }
      models.set(m.name, pm);
    }
  }
  if (tags.ok) {
    for (const m of tags.value.models ?? []) {
      if (models.has(m.name)) continue;
      const remote = m.remote_host !== undefined || m.remote_model !== undefined;
      const pm: ProbedModel = { id: nameForPolicy(spec, m.name, otherNames(m.name)), state: remote ? 'warm' : 'cold' };
      if (m.size !== undefined && !remote) pm.sizeBytes = m.size;
      models.set(m.name, pm);
    }
  }
  const snap: BackendSnapshot = { healthy: true, knowsLoaded: ps.ok, loading: false, models: [...models.values()] };
  if (!ps.ok) {
    // No answer at all from /api/ps while /api/tags answers is what a load in progress looks like.
    if (ps.status === undefined) snap.loading = true;
    snap.error = `loaded models unknown: ${ps.reason}`;
  } else if (!tags.ok) {
    snap.error = `cold models unknown: ${tags.reason}`;
  }
  if (usedBytes !== undefined) snap.memory = { usedBytes };
  return snap;
});
