// The gRPC health checking protocol on the sidecar's gRPC port. The
// endpoint-picker protocol requires it (services "liveness", "readiness" and
// the ext_proc service), and Envoy's active gRPC health checks of the ext_proc
// cluster use it to stop sending new streams to a replica that is gone or
// shutting down.
// The wire side (Check on the sidecar's gRPC port) is in extproc/grpc-server.ts.
import type { ServingStatus } from '../extproc/grpc-server.ts';

export const EXT_PROC_SERVICE = 'envoy.service.ext_proc.v3.ExternalProcessor';

export interface HealthState {
  /** False while the sidecar drains (shutting down): readiness and the ext_proc service report NOT_SERVING. */
  serving(): boolean;
}

const SERVICES = new Set(['', 'liveness', 'readiness', EXT_PROC_SERVICE]);

/** What `service` reports: liveness while the process answers; the rest while it takes new requests. */
export function servingStatus(service: string, state: HealthState): ServingStatus {
  if (!SERVICES.has(service)) return 'SERVICE_UNKNOWN';
  if (service === 'liveness') return 'SERVING';
  return state.serving() ? 'SERVING' : 'NOT_SERVING';
}
