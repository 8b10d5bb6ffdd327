// llama.cpp `llama-server`, both modes, told apart by the answers themselves:
// - single model: /health (503 "Loading model" while loading), /v1/models (the one model),
//   /props total_slots and is_sleeping, /slots is_processing, /metrics requests_processing/deferred.
// - router (`--models-dir`/`--models-preset`, no `-m`): /v1/models carries `status.value` per model
//   and /props says `role: "router"`; per loaded model /slots and /metrics with `?model=X&autoload=false`.
// A probe never names a model without `autoload=false`: the router would load it to answer.
import { z } from 'zod';

import type { BackendSpec } from '../../policy/schema.ts';
import type { BackendSnapshot, ModelState, ProbedModel } from '../snapshot.ts';
import { fetchJson, fetchText, optionalCount, type Answer } from './answers.ts';
import { defineAdapter, unhealthy } from './define.ts';
import { mapLimit } from './map-limit.ts';
import { nameForPolicy } from './model-names.ts';
import { countOf, parsePrometheus } from './prometheus.ts';
import type { ProbeHttp } from './types.ts';

const ModelEntry = z.object({
  id: z.string().min(1),
  aliases: z.array(z.string()).optional().catch(undefined),
  /** Router mode only. Values seen: unloaded, loading, loaded, sleeping, downloading, downloaded (older routers: the first three). */
  status: z.object({ value: z.string() }).optional(),
  /** `null` while a single-mode server loads; in router mode present only for running models (merged from the child). */
  meta: z.object({ size: optionalCount }).nullable().optional().catch(undefined),
});
type ModelEntry = z.infer<typeof ModelEntry>;

const ModelsAnswer = z.object({ data: z.array(ModelEntry) });

const PropsAnswer = z.object({
  role: z.string().optional().catch(undefined),
  total_slots: z.number().int().positive().optional().catch(undefined),
  is_sleeping: z.boolean().optional().catch(undefined),
  max_instances: z.number().int().nonnegative().optional().catch(undefined),
  models_autoload: z.boolean().optional().catch(undefined),
  /** Older routers (before `ui_settings`) answered a dummy `max_instances: 4`: its presence marks that value as meaningless. */
  webui_settings: z.unknown().optional(),
});
type PropsAnswer = z.infer<typeof PropsAnswer>;

// Current builds send `is_processing`; builds before mid-2024 sent `state` (0 = idle).
const SlotsAnswer = z.array(
  z
    .object({ is_processing: z.boolean().optional(), state: z.number().optional() })
    .refine((s) => s.is_processing !== undefined || s.state !== undefined, 'slot has neither is_processing nor state'),
);

/** Parallel per-model requests against a router, at most. */
const ROUTER_FANOUT = 4;

type Health = { kind: 'ready' } | { kind: 'loading' } | { kind: 'down'; reason: string };

function readHealth(answer: Answer<unknown>): Health {
  if (answer.ok) return { kind: 'ready' };
  const text = (answer.message ?? '').toLowerCase();
  if (answer.status === 503 && text.includes('loading')) return { kind: 'loading' };
  // Old builds answered 503 "no slot available" when every slot was busy: up, just full.
  if (answer.status === 503 && text.includes('no slot')) return { kind: 'ready' };
  return { kind: 'down', reason: answer.reason };
}

interface Load {
  slots?: number;
  busySlots?: number;
  processing?: number;
  deferred?: number;
}

/** /slots and /metrics of one server (or one router child, through `query`); each is optional. */
async function readLoad(http: ProbeHttp, query: string): Promise<Load> {
  const [slots, metrics] = await Promise.all([fetchJson(http, `/slots${query}`, SlotsAnswer), fetchText(http, `/metrics${query}`)]);
  const load: Load = {};
  if (slots.ok) {
    load.slots = slots.value.length;
    load.busySlots = slots.value.filter((s) => s.is_processing ?? s.state !== 0).length;
  }
  if (metrics.ok) {
    const samples = parsePrometheus(metrics.value);
    load.processing = countOf(samples, 'llamacpp:requests_processing');
    load.deferred = countOf(samples, 'llamacpp:requests_deferred');
  }
  return load;
}

function probedModel(spec: BackendSpec, entry: ModelEntry, state: ModelState, load?: Load): ProbedModel {
  const m: ProbedModel = { id: nameForPolicy(spec, entry.id, entry.aliases), state };
  const size = entry.meta?.size;
  if (size !== undefined) m.sizeBytes = size;
  if (load?.slots !== undefined) m.slots = load.slots;
  if (load?.busySlots !== undefined) m.busySlots = load.busySlots;
  return m;
}

async function probeSingle(http: ProbeHttp, spec: BackendSpec, health: Health, entries: ModelEntry[], props: PropsAnswer | undefined): Promise<BackendSnapshot> {
  if (health.kind === 'down') return unhealthy(health.reason);
  if (health.kind === 'loading') {
    // The server answers 503 to every request until the model is in memory: it cannot take traffic, so it is
    // not healthy, but the probe did succeed and the model is on its way (the datastore times the load).
    return { healthy: false, error: 'Loading model', loading: true, knowsLoaded: true, models: entries.map((e) => probedModel(spec, e, 'loading')) };
  }
  const load = await readLoad(http, '');
  // Sleep mode (--sleep-idle-seconds) freed the weights: the next request reloads them.
  const sleeping = props?.is_sleeping === true;
  const state: ModelState = sleeping ? 'cold' : 'warm';
  const slots = load.slots ?? props?.total_slots;
  const snap: BackendSnapshot = {
    healthy: true,
    knowsLoaded: true,
    loading: false,
    models: entries.map((e) => probedModel(spec, e, state, { ...load, slots })),
  };
  if (sleeping) snap.sleeping = true;
  if (slots !== undefined) snap.slots = slots;
  if (load.busySlots !== undefined) snap.busySlots = load.busySlots;
  const inFlight = load.processing ?? load.busySlots;
  if (inFlight !== undefined) snap.inFlight = inFlight;
  if (load.deferred !== undefined) snap.queued = load.deferred;
  return snap;
}

function routerState(value: string): ModelState {
  if (value === 'loaded') return 'warm';
  if (value === 'loading') return 'loading';
  // unloaded / sleeping (weights freed) / downloading / downloaded (on disk, not in memory; a download is no short load
  // to wait for) and any value a newer router invents: not in memory.
  return 'cold';
}

function sumOf(values: Array<number | undefined>): number | undefined {
  const known = values.filter((v): v is number => v !== undefined);
  return known.length > 0 ? known.reduce((a, b) => a + b, 0) : undefined;
}

async function probeRouter(http: ProbeHttp, spec: BackendSpec, entries: ModelEntry[], props: PropsAnswer | undefined): Promise<BackendSnapshot> {
  const states = entries.map((e) => routerState(e.status?.value ?? 'unloaded'));
  const loads = await mapLimit(entries, ROUTER_FANOUT, async (entry, i): Promise<Load | undefined> => {
    if (states[i] !== 'warm') return undefined;
    return readLoad(http, `?model=${encodeURIComponent(entry.id)}&autoload=false`);
  });
  const models = entries.map((e, i) => probedModel(spec, e, states[i] ?? 'cold', loads[i]));
  const snap: BackendSnapshot = { healthy: true, knowsLoaded: true, loading: states.includes('loading'), models };
  const slots = sumOf(loads.map((l) => l?.slots));
  const busySlots = sumOf(loads.map((l) => l?.busySlots));
  const inFlight = sumOf(loads.map((l) => l?.processing ?? l?.busySlots));
  const queued = sumOf(loads.map((l) => l?.deferred));
  if (slots !== undefined) snap.slots = slots;
  if (busySlots !== undefined) snap.busySlots = busySlots;
  if (inFlight !== undefined) snap.inFlight = inFlight;
  if (queued !== undefined) snap.queued = queued;
  if (props?.role === 'router') {
    // --models-max 0 means no limit.
    if (props.max_instances !== undefined && props.max_instances > 0 && props.webui_settings === undefined) snap.maxModels = props.max_instances;
    if (props.models_autoload !== undefined) snap.loadsOnDemand = props.models_autoload;
  }
  return snap;
}

export const llamaServerAdapter = defineAdapter('llama-server', async (http, spec) => {
  // /v1/models and /props answer in both modes (and /v1/models even while loading), so they come first and decide the mode.
  const [healthAnswer, modelsAnswer, propsAnswer] = await Promise.all([
    fetchJson(http, '/health', z.unknown()),
    fetchJson(http, '/v1/models', ModelsAnswer),
    fetchJson(http, '/props', PropsAnswer),
  ]);
  const props = propsAnswer.ok ? propsAnswer.value : undefined;
  if (!modelsAnswer.ok) {
    const health = readHealth(healthAnswer);
    return unhealthy(health.kind === 'down' ? health.reason : modelsAnswer.reason);
  }
  const entries = modelsAnswer.value.data;
  const router = props?.role === 'router' || entries.some((e) => e.status !== undefined);
  if (router) return probeRouter(http, spec, entries, props);
  return probeSingle(http, spec, readHealth(healthAnswer), entries, props);
});
