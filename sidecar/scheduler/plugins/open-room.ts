// Placement: keep a model's only home open. Loading a model into the last free
// place of a backend that is the only one serving some other model, while a
// backend with room to spare would do as well, means that other model will
// later unload something there to get in, and whatever it unloads is loaded
// again: two loads where one would do. Among options about as cheap as the
// cheapest, warm-first prefers those that leave such a place open.
import type { BackendState, Cycle, Option } from '../framework.ts';

/** Models other than `model` that only `b` serves (among healthy backends) and that `b` does not hold now. */
function onlyHomeTo(b: BackendState, model: string, cycle: Cycle): number {
  let n = 0;
  for (const m of b.view.models.keys())
    if (m !== model && b.stateOf(m) === 'cold' && cycle.isCandidate(b.name, m) && !cycle.servableElsewhere(m, b.name)) n++;
  return n;
}

/** Loading `model` through this option takes a place a model with no other home would need. */
export function takesOnlyHome(o: Option, model: string, cycle: Cycle): boolean {
  if (o.fit.kind !== 'room') return false;
  const placesLeft = o.backend.view.maxModels - o.backend.residency.held.length - 1;
  return placesLeft < onlyHomeTo(o.backend, model, cycle);
}

/** The options that leave every model's only home open, or all of them when none does. */
export function keepOnlyHomesOpen(options: readonly Option[], model: string, cycle: Cycle): readonly Option[] {
  const open = options.filter((o) => !takesOnlyHome(o, model, cycle));
  return open.length > 0 ? open : options;
}
