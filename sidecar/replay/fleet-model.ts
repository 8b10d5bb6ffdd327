// The simulated fleet a virtual-time replay runs against, in resolved numbers:
// for each policy backend, its slots, model limit and, per public model name,
// the load and service times the simulator (sim/) would produce. Comes from a
// sim fleet YAML (matched to policy backends by name) or, without one, from
// the policy itself with each server kind's simulator defaults.
import { resolveSettings, loadMsFor, type SimSettings, type SlotScope } from '../../sim/core/settings.ts';
import { KINDS } from '../../sim/kinds/registry.ts';
import type { FleetSpec, SimSpec } from '../../sim/spec.ts';
import type { Policy } from '../policy/schema.ts';
import type { TraceRequest } from './trace.ts';

export interface ModelModel {
  /** Public name (what clients and the trace say). */
  name: string;
  /** The id the backend uses. */
  backendId: string;
  loadMs: number;
  warmAtStart: boolean;
}

export interface ServerModel {
  name: string;
  kind: SimSpec['kind'];
  slots: number;
  slotScope: SlotScope;
  maxLoaded: number;
  unloadMs: number;
  ttftMs: number;
  tokenMs: number;
  /** By public name. */
  models: Map<string, ModelModel>;
}

export class FleetModelError extends Error {}

/** Time a request holds a slot once its model is warm: first token, then the rest at the token pace (the simulator's pacing). */
export function serviceMs(server: Pick<ServerModel, 'ttftMs' | 'tokenMs'>, outputTokens: number): number {
  return server.ttftMs + Math.max(0, outputTokens - 1) * server.tokenMs;
}

/** A trace request's service time on this server: the measured one when recorded, else derived from its output tokens. */
export function requestServiceMs(server: Pick<ServerModel, 'ttftMs' | 'tokenMs'>, r: Pick<TraceRequest, 'output_tokens' | 'service_ms'>): number {
  return r.service_ms ?? serviceMs(server, r.output_tokens ?? 0);
}

/** Fleet spec for a policy alone: each backend simulated as its kind with default sizes and speeds. */
export function fleetFromPolicy(policy: Policy): FleetSpec {
  return {
    backends: policy.backends.map((b) => {
      if (b.models.length === 0) throw new FleetModelError(`backend ${b.name} lists no models: give --fleet, or list its models in the policy`);
      return {
        name: b.name,
        kind: b.kind,
        models: b.models.map((m) => ({ id: b.aliases[m] ?? m })),
        ...(b.slots !== undefined ? { slots: b.slots } : {}),
        ...(b.max_models !== undefined ? { maxLoaded: b.max_models } : {}),
      };
    }),
  };
}

export function buildFleetModel(policy: Policy, fleet: FleetSpec = fleetFromPolicy(policy)): ServerModel[] {
  const byName = new Map(fleet.backends.map((b) => [b.name, b]));
  return policy.backends.map((b) => {
    const spec = byName.get(b.name);
    if (!spec) throw new FleetModelError(`policy backend "${b.name}" has no fleet backend of that name (fleet has: ${[...byName.keys()].join(', ')})`);
    const settings: SimSettings = resolveSettings(spec, KINDS[spec.kind].defaults);
    const publicOf = new Map(Object.entries(b.aliases).map(([pub, id]) => [id, pub]));
    const names = b.models.length > 0 ? b.models : settings.models.map((m) => publicOf.get(m.id) ?? m.id);
    const models = new Map<string, ModelModel>();
    for (const name of names) {
      const backendId = b.aliases[name] ?? name;
      const sm = settings.models.find((m) => m.id === backendId);
      if (!sm) throw new FleetModelError(`policy backend "${b.name}" serves "${name}" (id "${backendId}"), which its fleet backend does not have`);
      models.set(name, { name, backendId, loadMs: loadMsFor(settings, sm), warmAtStart: sm.loaded });
    }
    return {
      name: b.name,
      kind: spec.kind,
      slots: settings.slots,
      slotScope: settings.slotScope,
      maxLoaded: settings.maxLoaded,
      unloadMs: settings.unloadMs,
      ttftMs: settings.ttftMs,
      tokenMs: settings.tokenMs,
      models,
    };
  });
}
