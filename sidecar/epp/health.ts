// The gRPC health checking protocol on the sidecar's gRPC port. The
// endpoint-picker protocol requires it (services "liveness", "readiness" and
// the ext_proc service), and Envoy's active gRPC health checks of the ext_proc
// cluster use it to stop sending new streams to a replica that is gone or
// shutting down.
import { loadPackageDefinition, status, type GrpcObject, type Server, type ServiceDefinition, type handleUnaryCall } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { PROTO_DIR } from '../extproc/proto.ts';

export const EXT_PROC_SERVICE = 'envoy.service.ext_proc.v3.ExternalProcessor';
const HEALTH_PROTO = 'grpc/health/v1/health.proto';

type ServingStatus = 'SERVING' | 'NOT_SERVING' | 'SERVICE_UNKNOWN';
interface CheckRequest {
  service: string;
}
interface CheckResponse {
  status: ServingStatus;
}

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

export function addHealthService(server: Server, state: HealthState): void {
  const def = loadSync(HEALTH_PROTO, { keepCase: true, enums: String, defaults: true, includeDirs: [PROTO_DIR] });
  const pkg = loadPackageDefinition(def) as GrpcObject;
  const health = ((pkg.grpc as GrpcObject).health as GrpcObject).v1 as GrpcObject;
  const service = (health.Health as unknown as { service: ServiceDefinition }).service;
  const check: handleUnaryCall<CheckRequest, CheckResponse> = (call, callback) => {
    const s = servingStatus(call.request.service, state);
    if (s === 'SERVICE_UNKNOWN') callback({ code: status.NOT_FOUND, details: `unknown service ${call.request.service}` });
    else callback(null, { status: s });
  };
  // Watch (streaming) is not offered; grpc-js answers it UNIMPLEMENTED, which the protocol allows.
  server.addService(service, { Check: check });
}
