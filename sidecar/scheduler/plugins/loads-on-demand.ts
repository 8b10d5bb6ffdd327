// Filter: a server that does not load models on demand (llama-server router
// with --no-models-autoload) refuses a request for a model it does not hold,
// so only the models it holds are admissible there.
import { ADMIT, refuse, type Filter } from '../framework.ts';

export const LOADS_ON_DEMAND = 'loads-on-demand';

export const loadsOnDemandFilter: Filter = {
  name: LOADS_ON_DEMAND,
  check: (p, b) => (b.view.loadsOnDemand || b.stateOf(p.model) !== 'cold' ? ADMIT : refuse(`does not hold ${p.model} and does not load models on demand`)),
};
