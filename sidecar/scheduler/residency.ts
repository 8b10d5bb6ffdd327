// What a backend holds, as the scheduler believes it, and whether one more
// model fits there. The datastore's view can be stale in one direction: after
// we send a cold model to a full backend, the probe still lists the model the
// server unloaded to make room, until the next probe. So the belief is
// normalised: models with requests in flight are certainly held; the others
// are kept most-recently-used first, up to max models, the way an LRU server
// evicts. The rest count as unloaded.
import type { ModelState } from '../backends/snapshot.ts';
import type { BackendView } from './types.ts';

export interface Residency {
  /** Models held, in-flight ones first, then most recently used first. */
  readonly held: readonly string[];
  /** Models with requests of this sidecar in flight, with their counts. */
  readonly running: ReadonlyMap<string, number>;
}

/** How model m would land on a backend, ignoring slots. */
export type Fit =
  | { kind: 'resident' }
  | { kind: 'room' }
  | { kind: 'evict'; victim: string }
  | { kind: 'full'; busy: readonly string[] };

export function residencyOf(view: BackendView): Residency {
  const running = new Map<string, number>();
  for (const [model, n] of view.inFlightByModel) if (n > 0) running.set(model, n);
  const lastUsed = (m: string) => view.models.get(m)?.lastUsedAt ?? -Infinity;
  const byRecency = (a: string, b: string) => lastUsed(b) - lastUsed(a) || (a < b ? -1 : a > b ? 1 : 0);
  const busy = [...running.keys()].sort(byRecency);
  const idle = [...view.models]
    .filter(([m, v]) => !running.has(m) && (v.state === 'warm' || v.state === 'loading'))
    .map(([m]) => m)
    .sort(byRecency);
  const room = Math.max(0, view.maxModels - busy.length);
  return { held: [...busy, ...idle.slice(0, room)], running };
}

/** The state of `model` on this backend after normalisation. */
export function believedState(view: BackendView, residency: Residency, model: string): ModelState {
  if (!residency.held.includes(model)) return 'cold';
  const reported = view.models.get(model)?.state;
  // In flight but reported cold: we just sent it, so the server is loading it.
  return reported === 'warm' ? 'warm' : 'loading';
}

export function fitOf(view: BackendView, residency: Residency, model: string): Fit {
  if (residency.held.includes(model)) return { kind: 'resident' };
  if (residency.held.length < view.maxModels) return { kind: 'room' };
  // The server unloads its least recently used idle model; one with requests
  // in flight is never unloaded (that would kill a running generation).
  for (let i = residency.held.length - 1; i >= 0; i--) {
    const m = residency.held[i]!;
    if (!residency.running.has(m)) return { kind: 'evict', victim: m };
  }
  return { kind: 'full', busy: residency.held };
}

/** End of `model`'s sticky window on this backend, if it is in one at `now`. */
export function stickyUntil(view: BackendView, residency: Residency, model: string, unloadDelayMs: number, now: number): number | undefined {
  if (unloadDelayMs <= 0 || residency.running.has(model) || !residency.held.includes(model)) return undefined;
  const last = view.models.get(model)?.lastUsedAt;
  if (last === undefined) return undefined; // never used through us: nothing to keep warm for
  const until = last + unloadDelayMs;
  return until > now ? until : undefined;
}
