// Scorer: session affinity. A conversation goes back to the backend that has
// its prompt cached, but only while that backend's load is within one request
// of the least loaded option: a hard pin stacks a busy session's requests on
// one server (HomeLab #661, llm-d's prefix-only results).
import type { Scorer } from '../framework.ts';

export const affinityScorer: Scorer = {
  name: 'affinity',
  score: (p, options, cycle) => {
    const out = new Map<string, number>();
    const key = p.entry.req.sessionKey;
    const home = key === undefined ? undefined : cycle.sessionBackend(key);
    const homeOption = options.find((o) => o.backend.name === home);
    if (!homeOption) return out;
    const least = Math.min(...options.map((o) => o.backend.load));
    if (homeOption.backend.load <= least + 1) out.set(homeOption.backend.name, 1);
    return out;
  },
};
