// Turns a SimSpec plus the kind's defaults into concrete, already time-scaled
// numbers, so the rest of the simulator never deals with optional fields.
import type { SimKind, SimSpec } from '../spec.ts';

/** Where the real server puts its parallel-request limit. */
export type SlotScope = 'server' | 'model';

export interface KindDefaults {
  maxLoaded: number;
  slots: number;
  slotScope: SlotScope;
  /** Whether a model without `loaded` is warm at start (servers that load their model at process start). */
  warmAtStart: boolean;
}

export interface SimModel {
  id: string;
  sizeGB: number;
  loaded: boolean;
}

export interface SimSettings {
  kind: SimKind;
  name: string;
  host: string;
  port: number;
  models: SimModel[];
  maxLoaded: number;
  slots: number;
  slotScope: SlotScope;
  /** Scaled milliseconds from here on. */
  ttftMs: number;
  tokenMs: number;
  defaultMaxTokens: number;
  loadInitMs: number;
  loadGBps: number;
  /** Graceful stop of an evicted model (llama-swap's unloadTimeout is the real-world upper bound). */
  unloadMs: number;
  timeScale: number;
  probeDelayMs: number;
}

export function loadMsFor(settings: SimSettings, model: SimModel): number {
  return (settings.loadInitMs + (model.sizeGB / settings.loadGBps) * 1000) * settings.timeScale;
}

export function resolveSettings(spec: SimSpec, defaults: KindDefaults): SimSettings {
  const scale = spec.timeScale ?? 1;
  const loadInitMs = spec.loadInitMs ?? 500;
  const maxLoaded = Math.max(1, spec.maxLoaded ?? defaults.maxLoaded);
  let warmBudget = maxLoaded;
  const models = spec.models.map((m): SimModel => {
    // More warm-at-start models than fit would be a state the real server can never be in.
    const wantsWarm = m.loaded ?? defaults.warmAtStart;
    const loaded = wantsWarm && warmBudget > 0;
    if (loaded) warmBudget--;
    return { id: m.id, sizeGB: m.sizeGB ?? 4, loaded };
  });
  return {
    kind: spec.kind,
    name: spec.name ?? spec.kind,
    host: spec.host ?? '127.0.0.1',
    port: spec.port ?? 0,
    models,
    maxLoaded,
    slots: spec.slots ?? defaults.slots,
    slotScope: defaults.slotScope,
    ttftMs: (spec.ttftMs ?? 50) * scale,
    tokenMs: (1000 / (spec.tokensPerSec ?? 50)) * scale,
    defaultMaxTokens: spec.defaultMaxTokens ?? 16,
    loadInitMs,
    loadGBps: spec.loadGBps ?? 2,
    unloadMs: (loadInitMs / 5) * scale,
    timeScale: scale,
    probeDelayMs: spec.probeDelayMs ?? 0,
  };
}
