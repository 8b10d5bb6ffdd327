// Scorer: session affinity. A conversation goes back to the backend that has
// its prompt cached, but only while that backend's load is within one request
// of the least loaded option: a hard pin stacks a busy session's requests on
// one server (HomeLab #661, llm-d's prefix-only results).
//
// A session this sidecar has not seen yet is homed by the rendezvous hash of
// its key over the options. Another replica, which may have decided its
// earlier turns, homed it the same way, so a conversation keeps its backend
// whichever replica decides (replicas share no session table); and new
// conversations spread over equally good backends instead of piling onto one.
import type { Scorer } from '../framework.ts';
import { rendezvousWeight } from '../rendezvous.ts';

export const affinityScorer: Scorer = {
  name: 'affinity',
  weight: 'affinity',
  score: (p, options, cycle) => {
    const out = new Map<string, number>();
    const key = p.entry.req.sessionKey;
    if (key === undefined || options.length === 0) return out;
    const known = cycle.sessionBackend(key);
    const homeOption = known !== undefined ? options.find((o) => o.backend.name === known) : rendezvousTop(key, options);
    if (!homeOption) return out;
    const least = Math.min(...options.map((o) => o.backend.load));
    if (homeOption.backend.load <= least + 1) out.set(homeOption.backend.name, 1);
    return out;
  },
};

function rendezvousTop<T extends { backend: { name: string } }>(key: string, options: readonly T[]): T {
  let best = options[0]!;
  let bestWeight = rendezvousWeight(key, best.backend.name);
  for (const o of options.slice(1)) {
    const w = rendezvousWeight(key, o.backend.name);
    if (w > bestWeight || (w === bestWeight && o.backend.name < best.backend.name)) [best, bestWeight] = [o, w];
  }
  return best;
}
