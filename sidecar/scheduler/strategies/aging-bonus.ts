// Baseline: llamacpp-ha 0.14's scheduler. Queue priority = warm bonus while
// the model is warm somewhere + age × bonus / aging_ms; a diversity pass
// first gives each model warm nowhere one try (displacing a model in its
// sticky window if need be) and, when that fails, reserves a backend to drain
// for it (the drain rule in plugins/holds.ts). The backend: the session's
// previous one when admissible, else the lowest slot use ratio, ties in turn.
import { anyOtherBackend, drainHold, holdsFilter } from '../plugins/holds.ts';
import { stickyWindowFilter } from '../plugins/sticky-window.ts';
import { AGING_BONUS_ORDER } from './ordering.ts';
import { ESSENTIAL_FILTERS, waitWhy } from './baseline.ts';
import type { Strategy } from './strategy.ts';

export const agingBonusStrategy: Strategy = {
  name: 'aging-bonus',
  filters: [...ESSENTIAL_FILTERS, stickyWindowFilter, holdsFilter],
  headOfLineBlocks: false,
  agingBound: false,
  order: AGING_BONUS_ORDER,
  choose: (p, ev, cycle) => {
    if (ev.options.length === 0) {
      const wait = waitWhy(ev);
      const backend = p.diversity ? drainHold(ev, cycle, anyOtherBackend) : undefined;
      return backend === undefined ? wait : { ...wait, hold: { backend, why: 'drain' } };
    }
    const key = p.entry.req.sessionKey;
    const home = key === undefined ? undefined : cycle.sessionBackend(key);
    const preferred = ev.options.find((o) => o.backend.name === home);
    if (preferred) return { kind: 'dispatch', option: preferred, reason: 'baseline' };
    const ratio = (o: (typeof ev.options)[number]) => o.backend.view.inFlight / Math.max(1, o.backend.view.slots);
    const lowest = Math.min(...ev.options.map(ratio));
    const tied = ev.options.filter((o) => ratio(o) === lowest).sort((a, b) => a.backend.index - b.backend.index);
    return { kind: 'dispatch', option: tied[cycle.nextTurn(`aging-bonus\u0000${p.model}`) % tied.length]!, reason: 'baseline' };
  },
};
