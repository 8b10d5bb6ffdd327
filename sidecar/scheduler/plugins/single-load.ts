// Filter: one load per model at a time. While a model is loading on a healthy
// backend, a request for it joins that load (or waits for it) instead of
// starting the same load elsewhere; a burst for a cold model would otherwise
// start one load per backend.
import { ADMIT, refuse, type Filter } from '../framework.ts';

export const SINGLE_LOAD = 'single-load';

export const singleLoadFilter: Filter = {
  name: SINGLE_LOAD,
  check: (p, b, cycle) => {
    if (b.stateOf(p.model) !== 'cold') return ADMIT;
    const elsewhere = cycle.loadingOn(p.model).filter((n) => n !== b.name);
    return elsewhere.length === 0 ? ADMIT : refuse(`${p.model} is loading on ${elsewhere.join(', ')}: join that load`);
  },
};
