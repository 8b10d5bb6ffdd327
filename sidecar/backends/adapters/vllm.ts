// vLLM: one process serves one base model (plus LoRA adapters, listed with `parent`), all in
// memory once the HTTP server listens. /health is 200 when the engine lives (503 when it died;
// connection refused while it starts), /v1/models the served names, /metrics the running and
// waiting request gauges, and sleep mode shows in /is_sleeping (dev mode only) or the newer
// `vllm:engine_sleep_state` gauge. Slot capacity (--max-num-seqs) is not exposed.
import { z } from 'zod';

import type { BackendSnapshot, ModelState } from '../snapshot.ts';
import { fetchJson, fetchText } from './answers.ts';
import { defineAdapter, unhealthy } from './define.ts';
import { nameForPolicy } from './model-names.ts';
import { countOf, parsePrometheus, type Sample } from './prometheus.ts';

const ModelsAnswer = z.object({ data: z.array(z.object({ id: z.string().min(1) })) });
const SleepingAnswer = z.object({ is_sleeping: z.boolean() });

/** From `vllm:engine_sleep_state{sleep_state="awake"|"weights_offloaded"|"discard_all"}`: one series per state, 1 for the current one. */
function sleepingFromMetrics(samples: Sample[]): boolean | undefined {
  const states = samples.filter((s) => s.name === 'vllm:engine_sleep_state');
  if (states.length === 0) return undefined;
  const awake = states.filter((s) => s.labels.sleep_state === 'awake');
  if (awake.length > 0) return awake.some((s) => s.value < 1);
  return states.some((s) => s.value >= 1);
}

export const vllmAdapter = defineAdapter('vllm', async (http, spec) => {
  const [health, modelsAnswer, metrics, sleepingAnswer] = await Promise.all([
    fetchText(http, '/health'),
    fetchJson(http, '/v1/models', ModelsAnswer),
    fetchText(http, '/metrics'),
    fetchJson(http, '/is_sleeping', SleepingAnswer),
  ]);
  if (!health.ok) return unhealthy(health.reason);
  if (!modelsAnswer.ok) return unhealthy(modelsAnswer.reason);
  const samples = metrics.ok ? parsePrometheus(metrics.value) : [];
  const sleeping = (sleepingAnswer.ok ? sleepingAnswer.value.is_sleeping : undefined) ?? sleepingFromMetrics(samples) ?? false;
  // Asleep, the weights are off the GPU: the model must be woken (reloaded) before it serves.
  const state: ModelState = sleeping ? 'cold' : 'warm';
  const snap: BackendSnapshot = {
    healthy: true,
    knowsLoaded: true,
    loading: false,
    models: modelsAnswer.value.data.map((m) => ({ id: nameForPolicy(spec, m.id), state })),
  };
  if (sleeping) snap.sleeping = true;
  const running = countOf(samples, 'vllm:num_requests_running');
  const waiting = countOf(samples, 'vllm:num_requests_waiting');
  if (running !== undefined) snap.inFlight = running;
  if (waiting !== undefined) snap.queued = waiting;
  return snap;
});
