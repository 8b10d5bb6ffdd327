// Starts background probing of every backend and feeds the datastore. Each
// transition is logged once; any change wakes the scheduler (queued requests
// may fit now).
import type { Datastore, Transition } from './datastore.ts';
import type { Clock } from '../control/clock.ts';
import type { Logger } from '../log.ts';
import { Prober } from './prober.ts';

export interface ProbingHandle {
  prober: Prober;
  stop(): void;
}

export interface ProbingEvents {
  /** A backend or model changed state (once per change). */
  transition(t: Transition): void;
  /** A probe ended; `ok` false when it failed. */
  probed(name: string, ok: boolean, ms: number): void;
}

export function startProbing(store: Datastore, clock: Clock, log: Logger, events: ProbingEvents): ProbingHandle {
  const prober = new Prober(store, {
    clock,
    onTransition: (t) => {
      // A backend going down says why (the probe's error) in the same line.
      log('backend_transition', { ...t, reason: t.kind === 'health' && t.to === 'down' ? store.status(t.backend)?.failure : undefined });
      events.transition(t);
    },
    onProbe: (name, ok, ms) => events.probed(name, ok, ms),
  });
  prober.start();
  return { prober, stop: () => prober.stop() };
}
