// llama-swap: /running lists its processes with their state (ready = warm, starting = loading,
// stopping = on its way out); /v1/models lists every configured model, with `status.value`
// loaded/unloaded since v236. "loaded" there covers starting, ready and stopping, so /running is
// the source of truth for warm, and /v1/models adds the cold rest. Neither says how many requests
// run per model: in-flight and slots stay unknown (the sidecar counts its own).
import { z } from 'zod';

import type { BackendSnapshot, ModelState, ProbedModel } from '../snapshot.ts';
import { fetchJson } from './answers.ts';
import { defineAdapter, unhealthy } from './define.ts';
import { nameForPolicy } from './model-names.ts';

const RunningAnswer = z.object({
  running: z.array(z.object({ model: z.string().min(1), state: z.string() })),
});

const ModelsAnswer = z.object({
  data: z.array(
    z.object({
      id: z.string().min(1),
      // Absent before v236; read loosely so an odd value degrades to "no status" instead of failing the answer.
      status: z.object({ value: z.string() }).optional().catch(undefined),
      meta: z
        .object({
          llamaswap: z
            .object({ type: z.string().optional().catch(undefined), aliases: z.array(z.string()).optional().catch(undefined) })
            .optional()
            .catch(undefined),
        })
        .optional()
        .catch(undefined),
    }),
  ),
});

function runningState(state: string): ModelState {
  if (state === 'ready') return 'warm';
  if (state === 'starting') return 'loading';
  // stopping (being evicted), stopped, shutdown: not something a request should count on.
  return 'cold';
}

export const llamaSwapAdapter = defineAdapter('llama-swap', async (http, spec) => {
  const [runningAnswer, modelsAnswer] = await Promise.all([fetchJson(http, '/running', RunningAnswer), fetchJson(http, '/v1/models', ModelsAnswer)]);
  if (!runningAnswer.ok) return unhealthy(runningAnswer.reason);
  const running = new Map(runningAnswer.value.running.map((r) => [r.model, r.state]));
  const models: ProbedModel[] = [];
  const listed = new Set<string>();
  if (modelsAnswer.ok) {
    for (const entry of modelsAnswer.value.data) {
      // Peers ("<peer>/<model>", served by another host) and selectors (virtual ids) have no residency here.
      const type = entry.meta?.llamaswap?.type;
      if (type !== undefined && type !== 'model') continue;
      listed.add(entry.id);
      const processState = running.get(entry.id);
      let state: ModelState;
      if (processState !== undefined) state = runningState(processState);
      // Loaded per /v1/models but not in /running: older llama-swap hid starting processes from /running,
      // or the swap began between the two GETs. Either way it is on its way in.
      else if (entry.status?.value === 'loaded') state = 'loading';
      else state = 'cold';
      models.push({ id: nameForPolicy(spec, entry.id, entry.meta?.llamaswap?.aliases), state });
    }
  }
  // `unlisted: true` models never appear in /v1/models but still run and serve.
  for (const [id, processState] of running) if (!listed.has(id)) models.push({ id: nameForPolicy(spec, id), state: runningState(processState) });
  const swapping = [...running.values()].some((s) => s === 'starting' || s === 'stopping') || models.some((m) => m.state === 'loading');
  const snap: BackendSnapshot = { healthy: true, knowsLoaded: true, loading: swapping, models };
  if (!modelsAnswer.ok) snap.error = `cold models unknown: ${modelsAnswer.reason}`;
  return snap;
});
