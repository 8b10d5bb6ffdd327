// The public description of one simulated server and of a fleet of them.
// Interfaces are written out (others code against these exact names); the zod
// schemas validate the same shapes when a fleet comes from YAML.
import { z } from 'zod';

export type SimKind =
  | 'openai'
  | 'llama-server'
  | 'llama-server-router'
  | 'llama-swap'
  | 'ollama'
  | 'omlx'
  | 'lmstudio'
  | 'vllm'
  | 'mlx-lm';

export const SIM_KINDS = [
  'openai',
  'llama-server',
  'llama-server-router',
  'llama-swap',
  'ollama',
  'omlx',
  'lmstudio',
  'vllm',
  'mlx-lm',
] as const satisfies readonly SimKind[];

export interface SimModelSpec {
  id: string;
  /** Weights size; drives load time and reported sizes. Default 4. */
  sizeGB?: number;
  /** Warm when the server starts. */
  loaded?: boolean;
}

export interface SimSpec {
  kind: SimKind;
  name?: string;
  /** Default 127.0.0.1. */
  host?: string;
  /** 0 or absent = ephemeral. */
  port?: number;
  models: SimModelSpec[];
  /** Models resident at once; LRU eviction where the real server evicts. */
  maxLoaded?: number;
  /** Parallel requests per server (or per model instance); extra requests queue inside the server. */
  slots?: number;
  /** Time to first token once a slot is free and the model is warm (default 50). */
  ttftMs?: number;
  /** Streaming speed (default 50). */
  tokensPerSec?: number;
  /** Tokens generated when the request gives no limit (default 16). */
  defaultMaxTokens?: number;
  /** Fixed part of a model load (default 500). */
  loadInitMs?: number;
  /** Load bandwidth: load time = init + sizeGB / GBps (default 2). */
  loadGBps?: number;
  /** Multiplies every delay (default 1). */
  timeScale?: number;
  /** Extra delay on probe/status endpoints only; not scaled. */
  probeDelayMs?: number;
}

export interface FleetSpec {
  backends: Array<SimSpec & { name: string }>;
}

const SimModelSpecSchema = z.strictObject({
  id: z.string().min(1),
  sizeGB: z.number().positive().optional(),
  loaded: z.boolean().optional(),
});

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;

const simSpecShape = {
  kind: z.enum(SIM_KINDS),
  name: z.string().min(1).optional(),
  host: z.string().min(1).optional(),
  port: z.number().int().min(0).max(65535).optional(),
  models: z.array(SimModelSpecSchema).min(1),
  maxLoaded: z.number().int().positive().optional(),
  slots: z.number().int().positive().optional(),
  ttftMs: z.number().min(0).optional(),
  tokensPerSec: z.number().positive().optional(),
  defaultMaxTokens: z.number().int().min(0).optional(),
  loadInitMs: z.number().min(0).optional(),
  loadGBps: z.number().positive().optional(),
  timeScale: z.number().min(0).optional(),
  probeDelayMs: z.number().min(0).optional(),
};

function uniqueModelIds(spec: { models: Array<{ id: string }> }): boolean {
  return new Set(spec.models.map((m) => m.id)).size === spec.models.length;
}

export const SimSpecSchema = z
  .strictObject(simSpecShape)
  .refine(uniqueModelIds, { message: 'model ids must be unique', path: ['models'] });

const FleetBackendSchema = z
  .strictObject({ ...simSpecShape, name: z.string().regex(NAME, 'letters, digits, _ . - (max 63)') })
  .refine(uniqueModelIds, { message: 'model ids must be unique', path: ['models'] });

export const FleetSpec: z.ZodType<FleetSpec> = z
  .strictObject({ backends: z.array(FleetBackendSchema).min(1) })
  .refine((f) => new Set(f.backends.map((b) => b.name)).size === f.backends.length, {
    message: 'backend names must be unique',
    path: ['backends'],
  });
