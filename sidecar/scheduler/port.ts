// The scheduler's read-only window on backend state. Declared here, in the
// core, and implemented by the datastore (backends/datastore.ts): the core
// reads through this port and hands its own accounting back to the edge as
// outcomes (accounting.ts). It never imports backends/ at runtime; its one
// type import from there is ModelState, from the probe's leaf schema
// (backends/snapshot.ts, which imports nothing back), so there is no cycle.
import type { BackendView } from './types.ts';

export interface BackendStatePort {
  /** Every backend as the scheduler sees it now: probe facts merged with the accounting the edge applied. Read-only. */
  views(): readonly BackendView[];
  /** Is `model` something any backend may serve (the allowlist)? */
  isKnownModel(model: string): boolean;
  /** Backends that may serve `model`, healthy or not, in policy order. */
  candidatesFor(model: string): readonly string[];
}
