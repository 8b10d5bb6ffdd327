// What `warmroute up` tells a person once the first probes have landed: which
// backends answered, which models are warm on each, and why one did not answer.
import type { Datastore } from '../backends/datastore.ts';
import type { Clock } from '../control/clock.ts';

export interface BackendSummary {
  name: string;
  kind: string;
  answered: boolean;
  failure?: string;
  warm: string[];
  loading: string[];
  cold: string[];
}

export function summarize(store: Datastore): BackendSummary[] {
  return store.views().map((v) => {
    const st = store.status(v.name);
    const by = (state: string) => [...v.models].filter(([, m]) => m.state === state).map(([name]) => name).sort();
    return { name: v.name, kind: store.spec(v.name)?.kind ?? '', answered: v.healthy && st?.lastProbeAt !== undefined, failure: st?.failure, warm: by('warm'), loading: by('loading'), cold: by('cold') };
  });
}

export function fleetLines(backends: BackendSummary[]): string[] {
  const answered = backends.filter((b) => b.answered).length;
  const lines = [`backends: ${answered} of ${backends.length} answered`];
  for (const b of backends) {
    if (!b.answered) {
      lines.push(`  ✗ ${b.name} (${b.kind}) not answering: ${b.failure ?? 'no probe answer yet'}`);
      continue;
    }
    const parts = [`warm: ${b.warm.length ? b.warm.join(', ') : 'none'}`];
    if (b.loading.length) parts.push(`loading: ${b.loading.join(', ')}`);
    if (b.cold.length) parts.push(`cold: ${b.cold.join(', ')}`);
    lines.push(`  ✓ ${b.name} (${b.kind}) ${parts.join(' · ')}`);
  }
  return lines;
}

/** Resolves once every backend has been probed at least once, or after `limitMs`. */
export function firstProbes(store: Datastore, clock: Clock, limitMs: number): Promise<void> {
  const deadline = clock.now() + limitMs;
  return new Promise((resolve) => {
    const check = (): void => {
      const probed = store.specs().every((s) => store.status(s.name)?.lastProbeAt !== undefined);
      if (probed || clock.now() >= deadline) resolve();
      else clock.setTimeout(check, 100);
    };
    check();
  });
}
