import { afterAll, describe, expect, it } from 'vitest';
import { credentials, loadPackageDefinition, Server, ServerCredentials, type GrpcObject, type ServiceClientConstructor } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { addHealthService, EXT_PROC_SERVICE, servingStatus } from './health.ts';
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

  let server: Server | undefined;
  afterAll(() => server?.forceShutdown());

  it('answers Check over gRPC with the standard health proto', async () => {
    let serving = true;
    server = new Server();
    addHealthService(server, { serving: () => serving });
    const port = await new Promise<number>((res, rej) => server!.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (e, p) => (e ? rej(e) : res(p))));
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
