// Filter: hard affinity. A request continuing stored state (previous_response_id)
// can only run where that state lives; a request whose gateway sent an endpoint
// subset (endpoint-picker mode) only on those backends.
import { ADMIT, refuse, type Filter } from '../framework.ts';
import type { RequestInfo } from '../types.ts';

/** The request may run on `backend`: not pinned elsewhere, and inside its allowed backends if it has any. */
export function mayRunOn(req: Pick<RequestInfo, 'pinnedBackend' | 'allowedBackends'>, backend: string): boolean {
  return (req.pinnedBackend === undefined || req.pinnedBackend === backend) && (req.allowedBackends?.includes(backend) ?? true);
}

/**
 * Requests with the same restriction (pin, allowed backends) share a queue
 * group and a warm-slot forecast; undefined = unrestricted. A pin alone keys
 * as the backend's name, so pinned groups keep their keys.
 */
export function restrictionKey(req: Pick<RequestInfo, 'pinnedBackend' | 'allowedBackends'>): string | undefined {
  if (req.allowedBackends === undefined) return req.pinnedBackend;
  return `${req.pinnedBackend ?? ''}\u0001${req.allowedBackends.join(',')}`;
}

export const pinnedFilter: Filter = {
  name: 'pinned',
  check: (p, b) => {
    const { pinnedBackend: pinned, allowedBackends: allowed } = p.entry.req;
    if (pinned !== undefined && pinned !== b.name) return refuse(`request is pinned to ${pinned}`);
    return allowed === undefined || allowed.includes(b.name) ? ADMIT : refuse('outside the gateway\'s endpoint subset');
  },
};
