// The policy's opt-in recording section: where the sidecar writes what it
// routes, in the trace format (docs/traces.md). Off unless present.
import { z } from 'zod';

export const RecordSpec = z
  .strictObject({
    file: z.string().min(1).describe('Trace file to write (JSONL). An existing file is kept: a new one gets a numeric suffix (traffic.1.jsonl).'),
    flush_ms: z.number().int().min(50).default(1000).describe('How often buffered lines are appended to the file, off the request path.'),
    max_buffer: z.number().int().min(1).default(10_000).describe('Lines held in memory between flushes; beyond it, new lines are dropped and counted.'),
  })
  .describe('Opt-in recording of routed requests in the trace format: model, a salted hash of the session key, prompt size estimate, timings. Never bodies.');
export type RecordSpec = z.infer<typeof RecordSpec>;
