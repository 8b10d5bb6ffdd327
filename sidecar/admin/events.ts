// A bounded memory of what happened to the fleet, for the dashboard's
// timeline: model loads and unloads, health changes, and each backend's last
// probe error. Fed from datastore transitions, probe results and dispatch
// decisions at the edge; constant memory whatever the traffic.
import type { Transition } from '../backends/datastore.ts';
import type { DecisionRecord } from '../scheduler/types.ts';

export type FleetEventKind = 'load-started' | 'warm' | 'unloaded' | 'model' | 'up' | 'down';

export interface FleetEvent {
  /** Increases by one per event: clients ask for what came after the last one they saw. */
  seq: number;
  at: number;
  kind: FleetEventKind;
  backend: string;
  model?: string;
  from?: string;
  to?: string;
  loadMs?: number;
  /** Why: a probe or request failure, or the decision that started a load (and what it evicts). */
  reason?: string;
}

export interface ProbeRecord {
  lastAt: number;
  ok: boolean;
  /** Consecutive failed probes. */
  failures: number;
  lastError?: string;
  lastErrorAt?: number;
}

export const EVENT_RING_SIZE = 200;

export class FleetEvents {
  private readonly ring: FleetEvent[] = [];
  private next = 1;
  private readonly probes = new Map<string, ProbeRecord>();

  constructor(private readonly capacity = EVENT_RING_SIZE) {}

  /** A datastore transition; `reason` is the failure behind a backend going down. */
  transition(t: Transition, at: number, reason?: string): void {
    if (t.kind === 'health') return this.push({ at, kind: t.to === 'down' ? 'down' : 'up', backend: t.backend, reason });
    // loading → cold is not an unload: usually a probe that does not see a just-dispatched load yet.
    const kind: FleetEventKind = t.to === 'warm' ? 'warm' : t.to === 'cold' && t.from === 'warm' ? 'unloaded' : t.to === 'loading' ? 'load-started' : 'model';
    this.push({ at, kind, backend: t.backend, model: t.model, from: t.from, to: t.to, loadMs: t.loadMs, reason });
  }

  /** A dispatch onto a cold model starts a load (and may evict another) before any probe can see it: record both when decided. */
  decided(r: DecisionRecord): void {
    if (r.reason !== 'cold-load') return;
    // The sidecar marks the evicted model cold itself, so no probe will report that unload: record it here.
    if (r.evicts) this.push({ at: r.at, kind: 'unloaded', backend: r.backend, model: r.evicts, from: 'warm', to: 'cold', reason: `making room for ${r.model}` });
    this.push({ at: r.at, kind: 'load-started', backend: r.backend, model: r.model, from: 'cold', to: 'loading', reason: `request ${r.requestId}` });
  }

  probed(backend: string, ok: boolean, at: number, error: string | undefined): void {
    const prev = this.probes.get(backend);
    const rec: ProbeRecord = { lastAt: at, ok, failures: ok ? 0 : (prev?.failures ?? 0) + 1, lastError: prev?.lastError, lastErrorAt: prev?.lastErrorAt };
    if (!ok) {
      rec.lastError = error ?? 'probe failed';
      rec.lastErrorAt = at;
    }
    this.probes.set(backend, rec);
  }

  /** Drop probe records of backends no longer configured (after a reload). */
  keepOnly(backends: ReadonlySet<string>): void {
    for (const name of this.probes.keys()) if (!backends.has(name)) this.probes.delete(name);
  }

  probe(backend: string): ProbeRecord | undefined {
    return this.probes.get(backend);
  }

  /** Events after `seq` (all kept ones by default), oldest first. */
  since(seq = 0): FleetEvent[] {
    const firstKept = this.ring[0]?.seq ?? this.next;
    return this.ring.slice(Math.max(0, seq + 1 - firstKept));
  }

  private push(e: Omit<FleetEvent, 'seq'>): void {
    const clean = Object.fromEntries(Object.entries(e).filter(([, v]) => v !== undefined)) as Omit<FleetEvent, 'seq'>;
    this.ring.push({ seq: this.next++, ...clean });
    if (this.ring.length > this.capacity) this.ring.shift();
  }
}
