// Loads warmroute's copy of Envoy's ext_proc service definition.
import { loadPackageDefinition, type GrpcObject } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../util/project-root.ts';
import type { ProtoGrpcType } from './generated/external_processor.ts';

export const PROTO_DIR = join(PROJECT_ROOT, 'protos');
export const EXT_PROC_PROTO = 'envoy/service/ext_proc/v3/external_processor.proto';

/** Options shared by the server and the wire-compatibility test. */
export const PROTO_LOADER_OPTIONS = { keepCase: true, longs: String, enums: String, defaults: true, oneofs: true, includeDirs: [PROTO_DIR] };

export function loadExtProc(): ProtoGrpcType {
  const def = loadSync(EXT_PROC_PROTO, PROTO_LOADER_OPTIONS);
  return loadPackageDefinition(def) as GrpcObject as unknown as ProtoGrpcType;
}

