// Scorer: session affinity with bounded loads. A conversation goes back to the
// backend that has its prompt cached while that backend stays under 1.25× the
// mean load of the options (consistent hashing with bounded loads, Mirrokni
// et al.: the home takes one more request while its load + 1 ≤ ⌈1.25 × (total
// + 1) / n⌉). A hard pin stacks a busy session's requests on one server
// (HomeLab #661, llm-d's prefix-only results); no bound at all thrashes caches.
// Loads here are time averages (mean-load.ts, a 10 s time constant): a few
// turns that overlap for a second are not an imbalance worth re-reading a
// conversation's whole prompt elsewhere; a home busier than the rest for a
// while is. (SGLang's cache-aware router and Ray's prefix router likewise
// leave cache affinity only past an imbalance threshold.) A home with no free
// slot is no option at all (plugins/free-slot.ts), whatever its average.
//
// With several sidecar replicas (settings.replicated), a session this replica
// has not seen is homed by the rendezvous hash of its key over the options.
// The replica that decided its earlier turns homed it the same way, so a
// conversation keeps its backend whichever replica decides (replicas share no
// session table; docs/replicas.md). A single sidecar leaves new sessions to
// the spread scorer instead.
import type { Option, Scorer } from '../framework.ts';
import { meanLoadAt } from '../mean-load.ts';
import { rendezvousWeight } from '../rendezvous.ts';

/** How far above the mean load a conversation's home may be and still keep it (the c of bounded loads). */
export const AFFINITY_LOAD_BOUND = 1.25;

/**
 * The bound on time-averaged loads, each rounded to whole requests: the
 * ceiling is the bound's slack for whole requests, and a fractional average
 * (a home at 0.1 beside an idle server) would otherwise fall outside it.
 */
export function underLoadBound(home: Option, options: readonly Option[], now: number): boolean {
  const load = (o: Option) => Math.round(meanLoadAt(o.backend.view.meanLoad, now));
  const total = options.reduce((n, o) => n + load(o), 0);
  return load(home) + 1 <= Math.ceil((AFFINITY_LOAD_BOUND * (total + 1)) / options.length);
}

export const affinityScorer: Scorer = {
  name: 'affinity',
  score: (p, options, cycle) => {
    const out = new Map<string, number>();
    const key = p.entry.req.sessionKey;
    if (key === undefined || options.length === 0) return out;
    const home = cycle.sessionBackend(key);
    const homeOption =
      home !== undefined ? options.find((o) => o.backend.name === home) : cycle.settings.replicated ? rendezvousTop(key, options) : undefined;
    if (homeOption && underLoadBound(homeOption, options, cycle.now)) out.set(homeOption.backend.name, 1);
    return out;
  },
};

function rendezvousTop(key: string, options: readonly Option[]): Option {
  let best = options[0]!;
  let bestWeight = rendezvousWeight(key, best.backend.name);
  for (const o of options.slice(1)) {
    const w = rendezvousWeight(key, o.backend.name);
    if (w > bestWeight || (w === bestWeight && o.backend.name < best.backend.name)) [best, bestWeight] = [o, w];
  }
  return best;
}
