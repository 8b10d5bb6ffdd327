// Shared frame of every adapter: whatever the kind-specific code does, the
// caller gets a valid BackendSnapshot back, never an exception.
import type { BackendKind, BackendSpec } from '../../policy/schema.ts';
import { BackendSnapshot } from '../snapshot.ts';
import { describeError } from './answers.ts';
import type { Adapter, ProbeHttp } from './types.ts';

/** A backend that could not be probed: nothing is known about its models. */
export function unhealthy(error: string, knowsLoaded = true): BackendSnapshot {
  return { healthy: false, error, models: [], knowsLoaded, loading: false };
}

export function defineAdapter(kind: BackendKind, probe: (http: ProbeHttp, spec: BackendSpec) => Promise<BackendSnapshot>): Adapter {
  return {
    kind,
    async probe(http, spec) {
      let built: BackendSnapshot;
      try {
        built = await probe(http, spec);
      } catch (err) {
        return unhealthy(`${kind} probe failed: ${describeError(err)}`);
      }
      // Re-check what we built: counts derived from server numbers must still be whole and non-negative.
      const checked = BackendSnapshot.safeParse(built);
      if (checked.success) return checked.data;
      const issue = checked.error.issues[0];
      return unhealthy(`${kind} probe built an invalid snapshot${issue ? ` at ${issue.path.map(String).join('.')}: ${issue.message}` : ''}`);
    },
  };
}
