// The scheduler's read-only window on backend state. Declared here, in the
// core, and implemented by the datastore (backends/datastore.ts), so the core
// imports nothing from backends/: it reads through this port and hands its
// own accounting back to the edge as outcomes (accounting.ts).
import type { BackendView } from './types.ts';

export interface BackendStatePort {
  /** Every backend as the scheduler sees it now: probe facts merged with the accounting the edge applied. Read-only. */
  views(): readonly BackendView[];
  /** Is `model` something any backend may serve (the allowlist)? */
  isKnownModel(model: string): boolean;
  /** Backends that may serve `model`, healthy or not, in policy order. */
  candidatesFor(model: string): readonly string[];
}
