// Any OpenAI-compatible server: /v1/models is all there is. The OpenAI shape has no residency,
// so a listed model is taken as warm (servers of this kind usually serve what they list, and
// the scheduler must not wait on a load that may never happen) and knowsLoaded=false says the
// state is a guess. When entries do carry residency in a shape we know (`status.value` as
// llama.cpp and llama-swap send, `loaded` boolean, LM Studio `state`), it is used, and if every
// entry has it, knowsLoaded=true. No in-flight count, slots or memory.
import { z } from 'zod';

import type { ModelState } from '../snapshot.ts';
import { fetchJson } from './answers.ts';
import { defineAdapter, unhealthy } from './define.ts';
import { nameForPolicy } from './model-names.ts';

const Entry = z.object({
  id: z.string().min(1),
  status: z.object({ value: z.string() }).optional().catch(undefined),
  loaded: z.boolean().optional().catch(undefined),
  state: z.string().optional().catch(undefined),
});
const ModelsAnswer = z.object({ data: z.array(Entry) });

/** The state the entry states itself, if it does. */
function toldState(e: z.infer<typeof Entry>): ModelState | undefined {
  const word = e.status?.value ?? e.state;
  if (word === 'loaded') return 'warm';
  if (word === 'loading' || word === 'starting') return 'loading';
  if (word === 'unloaded' || word === 'not-loaded' || word === 'sleeping') return 'cold';
  if (e.loaded !== undefined) return e.loaded ? 'warm' : 'cold';
  return undefined;
}

export const openaiAdapter = defineAdapter('openai', async (http, spec) => {
  const answer = await fetchJson(http, '/v1/models', ModelsAnswer);
  if (!answer.ok) return unhealthy(answer.reason, false);
  const entries = answer.value.data;
  const told = entries.map(toldState);
  const models = entries.map((e, i) => ({ id: nameForPolicy(spec, e.id), state: told[i] ?? ('warm' as const) }));
  return {
    healthy: true,
    knowsLoaded: entries.length > 0 && told.every((s) => s !== undefined),
    loading: models.some((m) => m.state === 'loading'),
    models,
  };
});
