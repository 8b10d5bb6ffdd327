// A backend's load averaged over time: requests running there (ours and other
// clients'), exponentially weighted with a time constant of MEAN_LOAD_TIME_CONSTANT_MS.
// The datastore advances it at every change of the load (a dispatch, a
// release, a probe); between changes the load is constant, so the average is
// exact, and anyone can read it at any later time without writing anything.
//
// Why: session affinity's bounded loads (plugins/affinity.ts) compared the
// load of the instant. Three turns that happened to overlap on a conversation's
// home, while the other server was idle for a second, moved the conversation,
// and with it every later turn's prompt cache (bench:sessions decision logs:
// the hot conversation moved once in 2 of 5 runs, at 3 vs 0 requests running on
// 4-slot servers, and its new server then took 72-74 % of the prompt work).
// A home that has been busier than the others for a while still lets go.

/** Time constant of the mean load: several requests long, so an overlap of a few turns does not count as imbalance. */
export const MEAN_LOAD_TIME_CONSTANT_MS = 10_000;

/** The mean load up to `at`, and the load since `at`. */
export interface MeanLoad {
  readonly value: number;
  readonly at: number;
  readonly load: number;
}

/** A backend nothing ran on yet. */
export const IDLE_MEAN_LOAD: MeanLoad = { value: 0, at: 0, load: 0 };

/** The mean load at `now` (no earlier than `m.at`). */
export function meanLoadAt(m: MeanLoad, now: number): number {
  const dt = Math.max(0, now - m.at);
  return m.load + (m.value - m.load) * Math.exp(-dt / MEAN_LOAD_TIME_CONSTANT_MS);
}

/** The load changes to `load` at `now`. */
export function advanceMeanLoad(m: MeanLoad, load: number, now: number): MeanLoad {
  if (load === m.load && now <= m.at) return m;
  return { value: meanLoadAt(m, now), at: Math.max(now, m.at), load };
}
