import { afterAll, describe, expect, it } from 'vitest';
import { credentials, loadPackageDefinition, type GrpcObject, type ServiceClientConstructor } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { EXT_PROC_SERVICE, servingStatus } from './health.ts';
import { startGrpcServer, type GrpcServer } from '../extproc/grpc-server.ts';
import { PROTO_DIR } from '../extproc/proto.ts';

describe('gRPC health service', () => {
  it('liveness is served while the process answers; readiness and ext_proc only while it takes requests', () => {
    const up = { serving: () => true };
    const draining = { serving: () => false };
    for (const s of ['', 'readiness', EXT_PROC_SERVICE]) {
      expect(servingStatus(s, up)).toBe('SERVING');
      expect(servingStatus(s, draining)).toBe('NOT_SERVING');
    }
    expect(servingStatus('liveness', draining)).toBe('SERVING');
    expect(servingStatus('something.Else', up)).toBe('SERVICE_UNKNOWN');
  });

  let server: GrpcServer | undefined;
  afterAll(() => server?.close());

  it('answers Check over gRPC with the standard health proto (grpc-js as the client)', async () => {
    let serving = true;
    server = await startGrpcServer({
      host: '127.0.0.1',
      port: 0,
      maxMessageBytes: 1024,
      maxConcurrentStreams: 100,
      process: () => {},
      health: (service) => servingStatus(service, { serving: () => serving }),
    });
    const port = server.port;
    const def = loadSync('grpc/health/v1/health.proto', { keepCase: true, enums: String, includeDirs: [PROTO_DIR] });
    const Health = ((((loadPackageDefinition(def) as GrpcObject).grpc as GrpcObject).health as GrpcObject).v1 as GrpcObject).Health as ServiceClientConstructor;
    const client = new Health(`127.0.0.1:${port}`, credentials.createInsecure());
    const check = (service: string) =>
      new Promise<string>((res, rej) => client.Check!({ service }, (e: Error | null, r: { status: string }) => (e ? rej(e) : res(r.status))));
    expect(await check('readiness')).toBe('SERVING');
    serving = false;
    expect(await check('readiness')).toBe('NOT_SERVING');
    expect(await check('liveness')).toBe('SERVING');
    await expect(check('nope')).rejects.toThrow(/unknown service/);
    client.close();
  });
});
