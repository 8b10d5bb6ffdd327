// Filter: hard affinity. A request continuing stored state (previous_response_id)
// can only run where that state lives; a request whose gateway sent an endpoint
// subset (endpoint-picker mode) only on those backends.
import { ADMIT, refuse, type Filter } from '../framework.ts';

export const pinnedFilter: Filter = {
  name: 'pinned',
  check: (p, b) => {
    const { pinnedBackend: pinned, allowedBackends: allowed } = p.entry.req;
    if (pinned !== undefined && pinned !== b.name) return refuse(`request is pinned to ${pinned}`);
    return allowed === undefined || allowed.includes(b.name) ? ADMIT : refuse('outside the gateway\'s endpoint subset');
  },
};
