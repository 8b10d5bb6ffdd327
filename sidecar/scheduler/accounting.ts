// The core's accounting as outcomes. A dispatch takes a slot (the edge calls
// its store's acquire), a completion or cancellation of a running request
// gives it back (a `release` outcome). Until the edge has applied them, the
// core sees its own effects through StagedViews: the port's views with this
// call's acquisitions and releases applied the way the datastore applies them
// (a cold model starts loading and the server unloads its least recently used
// idle model when full). The edge applies every outcome of a call before it
// calls the core again.
import { advanceMeanLoad } from './mean-load.ts';
import type { BackendStatePort } from './port.ts';
import type { BackendModelView, BackendView, SchedulerOutcome } from './types.ts';

/** Where the edge applies accounting (the datastore). */
export interface AccountingSink {
  acquire(backend: string, model: string, now: number): void;
  release(backend: string, model: string, now: number): void;
}

/** Apply the accounting of one call's outcomes, in order. */
export function applyAccounting(outcomes: readonly SchedulerOutcome[], sink: AccountingSink, now: number): void {
  for (const o of outcomes) {
    if (o.type === 'dispatch') sink.acquire(o.record.backend, o.record.model, now);
    else if (o.type === 'release') sink.release(o.backend, o.model, now);
  }
}

/** A backend after one more request for `model` was sent to it. */
export function acquiredView(v: BackendView, model: string, now: number): BackendView {
  const inFlightByModel = new Map(v.inFlightByModel).set(model, (v.inFlightByModel.get(model) ?? 0) + 1);
  let models = v.models;
  const m = v.models.get(model);
  if (m) {
    const changed = new Map(v.models);
    if (m.state === 'cold') {
      const victim = evictionVictim(v, model, inFlightByModel);
      if (victim !== undefined) changed.set(victim, { ...v.models.get(victim)!, state: 'cold', loadStartedAt: undefined });
      changed.set(model, { ...m, lastUsedAt: now, state: 'loading', loadStartedAt: now });
    } else changed.set(model, { ...m, lastUsedAt: now });
    models = changed;
  }
  return withInFlight({ ...v, inFlightByModel, models, lastUsedAt: now }, v.inFlight + 1, now);
}

/** A backend after a request for `model` ended there. */
export function releasedView(v: BackendView, model: string, now: number): BackendView {
  const inFlightByModel = new Map(v.inFlightByModel);
  const n = (inFlightByModel.get(model) ?? 0) - 1;
  if (n > 0) inFlightByModel.set(model, n);
  else inFlightByModel.delete(model);
  const m = v.models.get(model);
  const models = m ? new Map(v.models).set(model, { ...m, lastUsedAt: now }) : v.models;
  return withInFlight({ ...v, inFlightByModel, models, lastUsedAt: now }, Math.max(0, v.inFlight - 1), now);
}

/** `v` with this sidecar's running requests set to `inFlight`, the way the datastore counts them (other clients' are the rest of what the server reported). */
function withInFlight(v: BackendView, inFlight: number, now: number): BackendView {
  const externalInFlight = Math.max(0, (v.reportedInFlight ?? 0) - inFlight);
  return { ...v, inFlight, externalInFlight, meanLoad: advanceMeanLoad(v.meanLoad, inFlight + externalInFlight, now) };
}

/** The idle model a full server unloads to load `loading`: the least recently used one. */
function evictionVictim(v: BackendView, loading: string, inFlightByModel: ReadonlyMap<string, number>): string | undefined {
  if (!Number.isFinite(v.maxModels)) return undefined;
  const resident = [...v.models].filter(([name, m]) => name !== loading && (m.state === 'warm' || m.state === 'loading'));
  if (resident.length < v.maxModels) return undefined;
  let victim: [string, BackendModelView] | undefined;
  for (const entry of resident) if (!inFlightByModel.has(entry[0]) && (!victim || (entry[1].lastUsedAt ?? 0) < (victim[1].lastUsedAt ?? 0))) victim = entry;
  return victim?.[0];
}

/** The port's views with the accounting of the call in progress applied. */
export class StagedViews {
  private readonly staged = new Map<string, BackendView>();
  private cached: { base: readonly BackendView[]; views: readonly BackendView[] } | undefined;

  constructor(private readonly port: BackendStatePort) {}

  /** A new call: the edge has applied everything staged so far. */
  reset(): void {
    this.staged.clear();
    this.cached = undefined;
  }

  views(): readonly BackendView[] {
    const base = this.port.views();
    if (this.staged.size === 0) return base;
    if (this.cached?.base !== base) this.cached = { base, views: base.map((v) => this.staged.get(v.name) ?? v) };
    return this.cached.views;
  }

  acquire(backend: string, model: string, now: number): void {
    this.stage(backend, (v) => acquiredView(v, model, now));
  }

  release(backend: string, model: string, now: number): void {
    this.stage(backend, (v) => releasedView(v, model, now));
  }

  private stage(backend: string, change: (v: BackendView) => BackendView): void {
    const v = this.views().find((x) => x.name === backend);
    if (!v) return;
    this.staged.set(backend, change(v));
    this.cached = undefined;
  }
}
