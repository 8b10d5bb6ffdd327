// Picker: the highest weighted sum. Ties go to the highest rendezvous weight
// of the session key, so every sidecar replica breaks them the same way for a
// conversation without shared state; then to the backend name.
import { rendezvousWeight } from '../rendezvous.ts';
import type { Option, Picker } from '../framework.ts';

/** Totals closer than this are equal (floating-point sums of weighted scores). */
export const SCORE_EPSILON = 1e-9;

export const maxScorePicker: Picker = {
  name: 'max-score',
  pick: (p, options, totals) => {
    const key = p.entry.req.sessionKey;
    let best: Option | undefined;
    for (const o of options) {
      if (!best) {
        best = o;
        continue;
      }
      const d = (totals.get(o.backend.name) ?? 0) - (totals.get(best.backend.name) ?? 0);
      if (d > SCORE_EPSILON) best = o;
      else if (d >= -SCORE_EPSILON) {
        if (key !== undefined) {
          const w = rendezvousWeight(key, o.backend.name) - rendezvousWeight(key, best.backend.name);
          if (w > 0 || (w === 0 && o.backend.name < best.backend.name)) best = o;
        } else if (o.backend.name < best.backend.name) best = o;
      }
    }
    if (!best) throw new Error('maxScorePicker: no options');
    return best;
  },
};
