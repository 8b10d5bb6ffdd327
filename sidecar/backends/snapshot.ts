// What a probe learns about one backend, in one shape for every server kind.
// Adapters produce it; the datastore keeps the latest per backend; the
// scheduler reads it (merged with the sidecar's own accounting) from memory.
import { z } from 'zod';

export const ModelState = z.enum(['warm', 'loading', 'cold']);
export type ModelState = z.infer<typeof ModelState>;

export const ProbedModel = z.object({
  /** The id as the backend names it (before alias mapping). */
  id: z.string(),
  state: ModelState,
  sizeBytes: z.number().nonnegative().optional(),
  /** 0..1 while loading, where the server tells. */
  loadProgress: z.number().min(0).max(1).optional(),
  /** Slots of this model's instance (router-mode servers run one process per model). */
  slots: z.number().int().nonnegative().optional(),
  busySlots: z.number().int().nonnegative().optional(),
});
export type ProbedModel = z.infer<typeof ProbedModel>;

export const BackendSnapshot = z.object({
  healthy: z.boolean(),
  /** Why the backend is unhealthy, or a note worth logging. */
  error: z.string().optional(),
  /** Models the server reported, with their residency. */
  models: z.array(ProbedModel),
  /** False when the server cannot tell what is loaded (mlx-lm): warm/cold are guesses. */
  knowsLoaded: z.boolean(),
  /** Whole-server parallelism and use, where exposed. */
  slots: z.number().int().nonnegative().optional(),
  busySlots: z.number().int().nonnegative().optional(),
  /** Requests running / waiting inside the server, where exposed. */
  inFlight: z.number().int().nonnegative().optional(),
  queued: z.number().int().nonnegative().optional(),
  memory: z
    .object({ totalBytes: z.number().optional(), usedBytes: z.number().optional(), freeBytes: z.number().optional() })
    .optional(),
  /** The server is swapping/loading right now (any model). */
  loading: z.boolean().default(false),
  /** vLLM sleep mode and similar: up, but must wake before serving. */
  sleeping: z.boolean().optional(),
  /** Distinct models the server itself holds at once, where it tells (llama-server router `--models-max`). */
  maxModels: z.number().int().positive().optional(),
  /** False when the server refuses a request for a cold model instead of loading it (llama-server router `--no-models-autoload`). */
  loadsOnDemand: z.boolean().optional(),
});
export type BackendSnapshot = z.infer<typeof BackendSnapshot>;
