// Scorer: session affinity with bounded loads. A conversation goes back to the
// backend that has its prompt cached while that backend stays under 1.25× the
// mean load of the options (consistent hashing with bounded loads, Mirrokni
// et al.: the home takes one more request while its load + 1 ≤ ⌈1.25 × (total
// + 1) / n⌉). A hard pin stacks a busy session's requests on one server
// (HomeLab #661, llm-d's prefix-only results); no bound at all thrashes caches.
import type { Option, Scorer } from '../framework.ts';

/** How far above the mean load a conversation's home may be and still keep it (the c of bounded loads). */
export const AFFINITY_LOAD_BOUND = 1.25;

export function underLoadBound(home: Option, options: readonly Option[]): boolean {
  const total = options.reduce((n, o) => n + o.backend.load, 0);
  return home.backend.load + 1 <= Math.ceil((AFFINITY_LOAD_BOUND * (total + 1)) / options.length);
}

export const affinityScorer: Scorer = {
  name: 'affinity',
  score: (p, options, cycle) => {
    const out = new Map<string, number>();
    const key = p.entry.req.sessionKey;
    const home = key === undefined ? undefined : cycle.sessionBackend(key);
    const homeOption = options.find((o) => o.backend.name === home);
    if (homeOption && underLoadBound(homeOption, options)) out.set(homeOption.backend.name, 1);
    return out;
  },
};
