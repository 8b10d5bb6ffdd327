// `warmroute status` against a running sidecar: backends, models and the queue
// as tables from the admin API; the bearer token when the API wants one.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSidecar, type Sidecar } from '../sidecar/app.ts';
import { Policy } from '../sidecar/policy/schema.ts';
import { startSim, type RunningSim } from '../sim/index.ts';
import { eventually, freePort } from './harness.ts';
import { runCli } from './cli-run.ts';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../sidecar/util/project-root.ts';

const TOKEN = 'status-test-token-0123456789';
let sim: RunningSim;
let open: Sidecar;
let guarded: Sidecar;

async function sidecarFor(extra: Record<string, unknown>): Promise<Sidecar> {
  const policy = Policy.parse({
    sidecar: { grpc_port: await freePort(), admin_port: await freePort(), ...extra },
    backends: [
      { name: 'box', kind: 'llama-swap', url: sim.url, models: ['m1', 'm2'], slots: 1, probe: { interval_ms: 200 } },
      { name: 'gone', kind: 'openai', url: `http://127.0.0.1:${await freePort()}`, models: ['m3'], probe: { interval_ms: 200 } },
    ],
  });
  return startSidecar({ policy, log: () => {} });
}

describe('warmroute status', () => {
  beforeAll(async () => {
    sim = await startSim({ kind: 'llama-swap', name: 'box', models: [{ id: 'm1', loaded: true }, { id: 'm2' }], maxLoaded: 1 });
    open = await sidecarFor({});
    guarded = await sidecarFor({ admin_token: TOKEN });
    await eventually(() => open.store.status('box')?.lastProbeAt !== undefined && open.store.status('gone')?.lastProbeAt !== undefined, 20_000, 'first probes');
    // Occupy box's one slot, then queue a second request behind it (neither ever reaches a backend: no Envoy here).
    open.control.admit({ id: 'running-1', model: 'm1', promptBytes: 10, stream: false });
    open.control.admit({ id: 'waiting-1', model: 'm1', promptBytes: 10, stream: false });
  }, 60_000);
  afterAll(async () => {
    await open?.close();
    await guarded?.close();
    await sim?.close();
  });

  it('prints backends, models and the queue as tables', async () => {
    const r = await runCli(['status', '--admin', `http://127.0.0.1:${open.adminPort}`]);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines.find((l) => l.startsWith('BACKEND') && l.includes('HEALTH'))).toBeDefined();
    expect(lines.find((l) => /^box\s+llama-swap\s+up\s+1\/1 \(1 ours, 0 other\)/.test(l))).toBeDefined();
    expect(lines.find((l) => /^gone\s+openai\s+DOWN/.test(l))).toBeDefined();
    expect(lines.find((l) => /^box\s+m1\s+warm\s/.test(l))).toBeDefined();
    expect(lines.find((l) => /^box\s+m2\s+cold\s/.test(l))).toBeDefined();
    const queued = lines.find((l) => /^1\s+waiting-1\s+m1\s/.test(l));
    expect(queued).toBeDefined();
    expect(queued).toMatch(/box/); // the reason names the backend it waits for
  }, 60_000);

  it('--json prints the status document', async () => {
    const r = await runCli(['status', '--admin', `http://127.0.0.1:${open.adminPort}`, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as { queue: Array<{ id: string }> };
    expect(doc.queue.map((q) => q.id)).toEqual(['waiting-1']);
  }, 60_000);

  it('sends WARMROUTE_ADMIN_TOKEN, and says what is missing without it', async () => {
    const admin = `http://127.0.0.1:${guarded.adminPort}`;
    const denied = await runCli(['status', '--admin', admin], { WARMROUTE_ADMIN_TOKEN: '' });
    expect(denied.code).toBe(1);
    expect(denied.stderr).toContain('WARMROUTE_ADMIN_TOKEN');
    const ok = await runCli(['status', '--admin', admin], { WARMROUTE_ADMIN_TOKEN: TOKEN });
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/^box\s+llama-swap/m);
  }, 60_000);

  it('names the sidecar it cannot reach', async () => {
    const port = await freePort();
    const r = await runCli(['status', '--admin', `http://127.0.0.1:${port}`]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`cannot reach the sidecar's admin API at http://127.0.0.1:${port}`);
  }, 60_000);

  it('warmroute check notes a policy whose admin API is off loopback without a token', async () => {
    const exposed = await runCli(['check', join(PROJECT_ROOT, 'policies', 'compose.yaml')]);
    expect(exposed.code).toBe(0);
    expect(exposed.stdout).toContain('note: sidecar.admin_host 0.0.0.0 is not loopback: start the sidecar with WARMROUTE_ADMIN_TOKEN set');
    const local = await runCli(['check', join(PROJECT_ROOT, 'policies', 'demo.yaml')]);
    expect(local.stdout).not.toContain('note:');
  }, 60_000);
});

