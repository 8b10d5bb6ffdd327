// Settling pre-warms in progress at the start of a dispatch cycle: a pre-warm
// is done once its model is warm there (or a request was sent there, which
// the engine handles at dispatch); it is cancelled when its backend went
// unhealthy or nothing waits for its model any more; it is forgotten when it
// ran far past its expected load (the edge gave up; a new one may start).
import type { Cycle } from './framework.ts';
import type { PrewarmOutcome } from './types.ts';

/** A pre-warm running this much longer than its expected load (and at least this many ms) is forgotten. */
export const PREWARM_OVERRUN_RATIO = 3;
export const PREWARM_OVERRUN_MIN_MS = 30_000;

export function settlePrewarms(active: Map<string, PrewarmOutcome>, cycle: Cycle, now: number): PrewarmOutcome[] {
  const out: PrewarmOutcome[] = [];
  for (const [key, w] of [...active]) {
    const b = cycle.backend(w.backend);
    const state = b?.view.healthy ? b.stateOf(w.model) : undefined;
    if (state === 'warm') {
      active.delete(key);
      continue;
    }
    if (!b?.view.healthy || cycle.queuedDemand(w.model, w.backend) === 0) {
      active.delete(key);
      const why = !b?.view.healthy ? `${w.backend} is no longer healthy` : `no request for ${w.model} is waiting any more`;
      out.push({ ...w, action: 'cancel', why, at: now });
      continue;
    }
    if (now - w.at > Math.max(PREWARM_OVERRUN_MIN_MS, PREWARM_OVERRUN_RATIO * w.expectedLoadMs)) active.delete(key);
  }
  return out;
}

