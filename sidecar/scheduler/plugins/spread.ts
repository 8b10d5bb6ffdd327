// Scorer: sessions spread. A new conversation (a session key with no home, or
// whose home is not an option) goes where the least conversation work is: the
// fewest turns of conversations run there lately (decayed over a minute,
// sessions.ts), so their prompt caches do not thrash one server while others
// idle (issue 13: twelve sequential sessions all followed the most recent
// one). Turns, not homes: a hot conversation sending a third of all turns
// weighs a third of the work, where a count of homes made it one conversation
// of twenty-five and its server took 61-63 % of the prompt tokens.
// Scores 1 − turns / most turns among the options; ties then go by the
// rendezvous hash of the session key (max-score picker). Weight:
// `scheduler.weights.spread`, by default the same as affinity's. With several
// sidecar replicas it steps aside (plugins/affinity.ts).
import type { Scorer } from '../framework.ts';

export const spreadScorer: Scorer = {
  name: 'spread',
  score: (p, options, cycle) => {
    const out = new Map<string, number>();
    const key = p.entry.req.sessionKey;
    // Replicas count homed sessions each for itself: they would disagree, so affinity's rendezvous home decides.
    if (key === undefined || cycle.settings.replicated) return out;
    const home = cycle.sessionBackend(key);
    if (home !== undefined && options.some((o) => o.backend.name === home)) return out;
    const work = options.map((o) => [o.backend.name, cycle.recentSessionTurnsOn(o.backend.name)] as const);
    const most = Math.max(0, ...work.map(([, n]) => n));
    for (const [name, n] of work) out.set(name, most === 0 ? 1 : 1 - n / most);
    return out;
  },
};
