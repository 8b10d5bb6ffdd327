// The wire shape of GET /status as its readers (`warmroute status`, tests)
// rely on it. statusJson produces it (a test parses one against this schema);
// unknown extra fields are allowed so the document can grow.
import { z } from 'zod';
import { ModelState } from '../backends/snapshot.ts';

export const StatusModelInfo = z.looseObject({
  state: ModelState,
  backendId: z.string(),
  loadMs: z.number().optional(),
  lastUsedAt: z.number().optional(),
  loadStartedAt: z.number().optional(),
  inFlight: z.number(),
});

export const StatusProbe = z.looseObject({
  lastAt: z.number(),
  ok: z.boolean(),
  failures: z.number(),
  lastError: z.string().optional(),
  lastErrorAt: z.number().optional(),
});

export const StatusBackend = z.looseObject({
  name: z.string(),
  kind: z.string().optional(),
  url: z.string().optional(),
  healthy: z.boolean(),
  failure: z.string().optional(),
  lastProbeAt: z.number().optional(),
  probe: StatusProbe.optional(),
  slots: z.number(),
  maxModels: z.number().nullable(),
  inFlight: z.number(),
  externalInFlight: z.number(),
  /** Running requests (ours and other clients') averaged over the last ~10 s: what session affinity bounds. */
  meanLoad: z.number(),
  models: z.record(z.string(), ModelState),
  modelInfo: z.record(z.string(), StatusModelInfo),
});
export type StatusBackend = z.infer<typeof StatusBackend>;

export const StatusQueueEntry = z.looseObject({
  id: z.string(),
  model: z.string(),
  sessionKey: z.string().optional(),
  position: z.number(),
  ageMs: z.number(),
  priority: z.number(),
  starving: z.boolean(),
  holding: z.string().optional(),
  waitingReason: z.string().optional(),
});

export const StatusDecision = z.looseObject({
  requestId: z.string(),
  model: z.string(),
  backend: z.string(),
  reason: z.string(),
  queuedMs: z.number(),
  at: z.number(),
  expectedStartMs: z.number().optional(),
});

export const StatusEvent = z.looseObject({
  seq: z.number(),
  at: z.number(),
  kind: z.string(),
  backend: z.string(),
  model: z.string().optional(),
  loadMs: z.number().optional(),
  reason: z.string().optional(),
});

export const StatusDocument = z.looseObject({
  now: z.number(),
  strategy: z.string(),
  queued: z.number(),
  running: z.number(),
  inFlight: z.number(),
  backends: z.array(StatusBackend),
  queue: z.array(StatusQueueEntry),
  decisions: z.array(StatusDecision),
  events: z.array(StatusEvent),
});
export type StatusDocument = z.infer<typeof StatusDocument>;
