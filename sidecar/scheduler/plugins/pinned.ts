// Filter: hard affinity. A request continuing stored state (previous_response_id)
// can only run where that state lives.
import { ADMIT, refuse, type Filter } from '../framework.ts';

export const pinnedFilter: Filter = {
  name: 'pinned',
  check: (p, b) => {
    const pinned = p.entry.req.pinnedBackend;
    return pinned === undefined || pinned === b.name ? ADMIT : refuse(`request is pinned to ${pinned}`);
  },
};
