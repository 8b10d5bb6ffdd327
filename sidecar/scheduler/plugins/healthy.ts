// Filter: only backends the probes (and real requests) say are up.
import { ADMIT, refuse, type Filter } from '../framework.ts';

export const healthyFilter: Filter = {
  name: 'healthy',
  check: (_p, b) => (b.view.healthy ? ADMIT : refuse('unhealthy')),
};
