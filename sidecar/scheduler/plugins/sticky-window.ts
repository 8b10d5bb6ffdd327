// Filter: the sticky window (unload delay). A model keeps its backend for a
// while after its last request there ends, because agentic clients send the
// next turn a moment later (llama-swap PR #611). It guards only a model's last
// warm copy (a model warm elsewhere has somewhere to go), and yields to a
// request of strictly higher model priority, to one that has waited past the
// aging bound, to a request the backend was being drained for, and to what the
// strategy waives it for.
import { residencyOf, stickyUntil } from '../residency.ts';
import { ADMIT, refuse, type Filter } from '../framework.ts';

export const STICKY_WINDOW = 'sticky-window';

export const stickyWindowFilter: Filter = {
  name: STICKY_WINDOW,
  check: (p, b, cycle) => {
    const fit = b.fitOf(p.model);
    if (fit.kind !== 'evict') return ADMIT;
    const victim = fit.victim;
    const until = stickyUntil(b.view, b.residency, victim, cycle.settings.unloadDelayMs(victim), cycle.now);
    if (until === undefined) return ADMIT;
    if (p.starving || p.waivesStickyWindows) return ADMIT;
    if (p.modelPriority > cycle.settings.modelPriority(victim)) return ADMIT;
    if (cycle.drainedFor(b.name) === p.model) return ADMIT;
    if (cycle.heldElsewhere(victim, b.name)) return ADMIT;
    return refuse(`${victim} keeps it for ${until - cycle.now} ms more (unload delay)`);
  },
  // A window's end frees its backend for other models.
  nextChangeAt: (view, settings, now) => {
    const residency = residencyOf(view);
    let next: number | undefined;
    for (const m of residency.held) {
      const until = stickyUntil(view, residency, m, settings.unloadDelayMs(m), now);
      if (until !== undefined && (next === undefined || until < next)) next = until;
    }
    return next;
  },
};
