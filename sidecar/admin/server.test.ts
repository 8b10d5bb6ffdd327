// The admin server of a real sidecar (no Envoy needed): bearer token off
// loopback, /healthz open for probes, session keys only as hashes.
import { afterEach, describe, expect, it } from 'vitest';
import { startSidecar, type Sidecar } from '../app.ts';
import { Policy } from '../policy/schema.ts';
import { freePort } from '../../e2e/harness.ts';
import { AdminConfigError } from './auth.ts';
import { sessionTag } from '../log.ts';
import { StatusDocument } from './status-schema.ts';

const TOKEN = 'test-admin-token-0123456789';
const silent = () => {};
let sidecar: Sidecar | undefined;
afterEach(async () => {
  await sidecar?.close();
  sidecar = undefined;
});

async function policy(sidecarFields: Record<string, unknown>) {
  return Policy.parse({
    sidecar: { grpc_port: await freePort(), admin_port: await freePort(), ...sidecarFields },
    backends: [{ name: 'a', url: 'http://127.0.0.1:9', models: ['m1'] }],
  });
}

describe('admin server', () => {
  it('refuses to start on a non-loopback address without a token', async () => {
    const saved = process.env.WARMROUTE_ADMIN_TOKEN;
    delete process.env.WARMROUTE_ADMIN_TOKEN;
    try {
      await expect(startSidecar({ policy: await policy({ admin_host: '0.0.0.0' }), probe: false, log: silent })).rejects.toThrow(AdminConfigError);
    } finally {
      if (saved !== undefined) process.env.WARMROUTE_ADMIN_TOKEN = saved;
    }
  });

  it('off loopback: 401 JSON without the token, 200 with it (header or ?token=), /healthz open', async () => {
    sidecar = await startSidecar({ policy: await policy({ admin_host: '0.0.0.0', admin_token: TOKEN }), probe: false, log: silent });
    const base = `http://127.0.0.1:${sidecar.adminPort}`;
    for (const path of ['/status', '/metrics', '/']) {
      const r = await fetch(base + path);
      expect(r.status, path).toBe(401);
      expect(r.headers.get('www-authenticate')).toBe('Bearer');
      expect(await r.json()).toMatchObject({ error: { type: 'authentication_error', code: 'unauthorized' } });
    }
    expect((await fetch(`${base}/status`, { headers: { authorization: 'Bearer wrong-token-wrong-token' } })).status).toBe(401);
    expect((await fetch(`${base}/status`, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(200);
    expect((await fetch(`${base}/metrics?token=${TOKEN}`)).status).toBe(200);
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
  });

  it('on loopback without a token: open (and read-only)', async () => {
    sidecar = await startSidecar({ policy: await policy({}), probe: false, log: silent });
    expect((await fetch(`http://127.0.0.1:${sidecar.adminPort}/status`)).status).toBe(200);
    expect((await fetch(`http://127.0.0.1:${sidecar.adminPort}/status`, { method: 'POST' })).status).toBe(405);
  });

  it('shows session keys in /status only as hashes', async () => {
    sidecar = await startSidecar({ policy: await policy({}), probe: false, log: silent });
    const key = 'user-42-conversation-secret';
    // Fill the backend's slots so the session's request waits in the queue.
    const slots = sidecar.store.views()[0]!.slots;
    for (let i = 0; i < slots; i++) sidecar.control.admit({ id: `fill${i}`, model: 'm1', promptBytes: 10, stream: false, sessionKey: key });
    sidecar.control.admit({ id: 'waiting', model: 'm1', promptBytes: 10, stream: false, sessionKey: key });
    const text = await (await fetch(`http://127.0.0.1:${sidecar.adminPort}/status`)).text();
    expect(text).not.toContain(key);
    const status = JSON.parse(text) as { queue: Array<{ id: string; sessionKey?: string }>; decisions: Array<{ sessionKey?: string }> };
    expect(status.queue.find((q) => q.id === 'waiting')?.sessionKey).toBe(sessionTag(key));
    expect(status.decisions[0]?.sessionKey).toBe(sessionTag(key));
  });

  it('/events streams the status document (with ?token= for browsers), in the shape status readers parse', async () => {
    sidecar = await startSidecar({ policy: await policy({ admin_host: '0.0.0.0', admin_token: TOKEN }), probe: false, log: silent });
    const res = await fetch(`http://127.0.0.1:${sidecar.adminPort}/events?token=${TOKEN}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const reader = res.body!.getReader();
    let text = '';
    while (!/^data: .*\n\n/m.test(text)) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    await reader.cancel();
    const doc = StatusDocument.parse(JSON.parse(/^data: (.*)$/m.exec(text)![1]!));
    expect(doc.backends.map((b) => b.name)).toEqual(['a']);
  });
});

