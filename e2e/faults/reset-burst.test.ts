// Why the sidecar clusters recycle their connections: Node's HTTP/2 server
// (nghttp2) ends a connection with GOAWAY once a client has reset about 1,000
// streams faster than 33/s, and Envoy resets every ext_proc stream it ends.
// This reproduces the limit on the Node in use, and checks the rendered
// clusters stay below it.
import { describe, expect, it } from 'vitest';
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { parse } from 'yaml';
import { renderEnvoyConfig, SIDECAR_CLUSTER, OBSERVE_CLUSTER, SIDECAR_STREAMS_PER_CONNECTION_LIFETIME } from '../../sidecar/envoy/config.ts';
import { Policy } from '../../sidecar/policy/schema.ts';

const BURST = 1_000;

/** Opens and cancels streams on one connection as fast as it can; returns after how many resets a GOAWAY came (or undefined). */
async function resetsUntilGoaway(streams: number): Promise<number | undefined> {
  const server = http2.createServer();
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on('session', (s) => sessions.add(s.on('error', () => {})));
  server.on('stream', (s) => s.on('error', () => {}));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const client = http2.connect(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  client.on('error', () => {});
  let sent = 0;
  let goawayAt: number | undefined;
  client.on('goaway', () => (goawayAt ??= sent));
  for (; sent < streams && !client.destroyed && goawayAt === undefined; sent++) {
    const req = client.request({ ':method': 'POST', ':path': '/envoy.service.ext_proc.v3.ExternalProcessor/Process' });
    req.on('error', () => {});
    req.write('x');
    await new Promise((r) => setImmediate(r));
    req.close(http2.constants.NGHTTP2_CANCEL);
  }
  await new Promise((r) => setTimeout(r, 200));
  client.destroy();
  for (const s of sessions) s.destroy();
  await new Promise((r) => server.close(() => r(undefined)));
  return goawayAt;
}

describe('HTTP/2 reset burst and the sidecar clusters', () => {
  it('a Node HTTP/2 server ends the connection after about 1,000 quick client resets, never before the clusters recycle it', async () => {
    const at = await resetsUntilGoaway(3 * BURST);
    expect(at, 'GOAWAY after this many resets').toBeDefined();
    expect(at!).toBeGreaterThan(SIDECAR_STREAMS_PER_CONNECTION_LIFETIME);
    // Fewer resets than a connection's lifetime never trip it.
    expect(await resetsUntilGoaway(SIDECAR_STREAMS_PER_CONNECTION_LIFETIME)).toBeUndefined();
  }, 60_000);

  it('both sidecar clusters move to a fresh connection before the burst runs out', () => {
    const config: unknown = parse(renderEnvoyConfig(Policy.parse({ backends: [{ name: 'a', url: 'http://127.0.0.1:1' }] })));
    const clusters = (config as { static_resources: { clusters: Array<{ name: string; typed_extension_protocol_options?: Record<string, { common_http_protocol_options?: { max_requests_per_connection?: number } }> }> } }).static_resources.clusters;
    for (const name of [SIDECAR_CLUSTER, OBSERVE_CLUSTER]) {
      const c = clusters.find((x) => x.name === name)!;
      const opts = Object.values(c.typed_extension_protocol_options ?? {})[0];
      expect(opts?.common_http_protocol_options?.max_requests_per_connection, name).toBe(SIDECAR_STREAMS_PER_CONNECTION_LIFETIME);
    }
    expect(SIDECAR_STREAMS_PER_CONNECTION_LIFETIME).toBeLessThan(BURST);
  });
});
