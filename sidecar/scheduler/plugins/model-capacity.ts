// Filter: the backend's max distinct models. Serving a model it does not hold
// must fit beside what it holds, or unload an idle model; a model with
// requests in flight is never unloaded (that would cut a running generation).
import { ADMIT, refuse, type Filter } from '../framework.ts';

export const MODEL_CAPACITY = 'model-capacity';

export const modelCapacityFilter: Filter = {
  name: MODEL_CAPACITY,
  check: (p, b) => {
    const fit = b.fitOf(p.model);
    if (fit.kind !== 'full') return ADMIT;
    return refuse(`holds ${b.view.maxModels} model(s), all running: ${fit.busy.join(', ')}`);
  },
};
