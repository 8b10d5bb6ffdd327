// oMLX: /v1/models/status has per-model `loaded` and `is_loading` plus the model-memory budget;
// /api/status adds the server-wide active/waiting request counts. Request counts are not per
// model, and the slot count (--max-concurrent-requests) is not exposed. Status ids are the
// model directory names; a per-model alias used in requests must be mapped with `aliases`.
import { z } from 'zod';

import type { BackendSnapshot, ModelState, ProbedModel } from '../snapshot.ts';
import { fetchJson, optionalCount } from './answers.ts';
import { defineAdapter, unhealthy } from './define.ts';
import { nameForPolicy } from './model-names.ts';

const StatusModel = z
  .object({
    id: z.string().min(1),
    loaded: z.boolean().optional(),
    is_loading: z.boolean().optional().catch(undefined),
    /** One fork reports an enum instead of the booleans. */
    state: z.string().optional().catch(undefined),
    estimated_size: optionalCount,
    actual_size: optionalCount,
  })
  .refine((m) => m.loaded !== undefined || m.state !== undefined, 'model has neither loaded nor state');

const ModelsStatusAnswer = z.object({
  models: z.array(StatusModel),
  max_model_memory: optionalCount,
  /** Newer versions name the budget `final_ceiling`. */
  final_ceiling: optionalCount,
  current_model_memory: optionalCount,
});

const ServerStatusAnswer = z.object({
  active_requests: optionalCount,
  waiting_requests: optionalCount,
  models_loading: optionalCount,
  model_memory_used: optionalCount,
  model_memory_max: optionalCount,
});

function stateOf(m: z.infer<typeof StatusModel>): ModelState {
  if (m.is_loading === true || m.state === 'loading') return 'loading';
  if (m.loaded ?? m.state === 'loaded') return 'warm';
  return 'cold';
}

export const omlxAdapter = defineAdapter('omlx', async (http, spec) => {
  const [statusAnswer, serverAnswer] = await Promise.all([
    fetchJson(http, '/v1/models/status', ModelsStatusAnswer),
    fetchJson(http, '/api/status', ServerStatusAnswer),
  ]);
  if (!statusAnswer.ok) return unhealthy(statusAnswer.reason);
  const status = statusAnswer.value;
  const server = serverAnswer.ok ? serverAnswer.value : undefined;
  const models = status.models.map((m): ProbedModel => {
    const pm: ProbedModel = { id: nameForPolicy(spec, m.id), state: stateOf(m) };
    const size = m.actual_size ?? m.estimated_size;
    if (size !== undefined) pm.sizeBytes = size;
    return pm;
  });
  const loading = models.some((m) => m.state === 'loading') || (server?.models_loading ?? 0) > 0;
  const snap: BackendSnapshot = { healthy: true, knowsLoaded: true, loading, models };
  const totalBytes = status.max_model_memory ?? status.final_ceiling ?? server?.model_memory_max;
  const usedBytes = status.current_model_memory ?? server?.model_memory_used;
  if (totalBytes !== undefined || usedBytes !== undefined) {
    snap.memory = {};
    if (totalBytes !== undefined) snap.memory.totalBytes = totalBytes;
    if (usedBytes !== undefined) snap.memory.usedBytes = usedBytes;
    if (totalBytes !== undefined && usedBytes !== undefined) snap.memory.freeBytes = Math.max(0, totalBytes - usedBytes);
  }
  if (server?.active_requests !== undefined) snap.inFlight = Math.round(server.active_requests);
  if (server?.waiting_requests !== undefined) snap.queued = Math.round(server.waiting_requests);
  return snap;
});
