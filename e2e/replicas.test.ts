// Two sidecar replicas (separate `warmroute sidecar` processes with the same
// policy, each probing the same backends) as the endpoints of one Envoy's
// ext_proc cluster (policy `sidecar.replicas`, rendered by
// sidecar/envoy/replicas.ts: gRPC health checks, outlier detection). Envoy spreads the ext_proc streams over both replicas, so the
// turns of a conversation are decided by either one.
//  - Each conversation (same session key) lands on one backend whichever
//    replica decides: the replicas share no state, but they see the same
//    probes and break ties between equally good backends by the rendezvous
//    hash of the session key.
//  - Killing one replica (SIGKILL) loses no request: requests it had already
//    routed finish (the routing filter fails open after its decision and
//    Envoy holds the data path), requests waiting in its queue pass through
//    the listener once more and the other replica decides them, and new ones
//    go to the other replica (health checks, outlier detection).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { eventually, freePort } from './harness.ts';
import { post, readSse, chatDeltas } from './helpers-slice.ts';
import { Policy, type PolicyInput } from '../sidecar/policy/schema.ts';
import { renderEnvoyConfig } from '../sidecar/envoy/config.ts';
import { launchEnvoy, type RunningEnvoy } from '../sidecar/envoy/launch.ts';
import { startSim, type RunningSim, type SimSpec } from '../sim/index.ts';
import { PROJECT_ROOT } from '../sidecar/util/project-root.ts';
import { sessionTag } from '../sidecar/log.ts';

const box = (): SimSpec => ({
  kind: 'llama-swap',
  models: [{ id: 'm1', sizeGB: 1, loaded: true }],
  maxLoaded: 1,
  slots: 8,
  ttftMs: 10,
  tokensPerSec: 40,
  defaultMaxTokens: 8,
});

interface Replica {
  proc: ChildProcess;
  grpcPort: number;
  adminPort: number;
  output: string[];
}
interface Decision {
  backend: string;
  sessionKey?: string;
}

/** Each replica's policy names the others (sidecar.replicas), as one shared policy would: it then knows it is one of several. */
async function startReplica(base: Policy, dir: string, i: number, grpcPorts: readonly number[]): Promise<Replica> {
  const [grpcPort, adminPort] = [grpcPorts[i]!, await freePort()];
  const others = grpcPorts.filter((p) => p !== grpcPort).map((p) => `127.0.0.1:${p}`);
  const policy: PolicyInput = { ...base, sidecar: { ...base.sidecar, grpc_port: grpcPort, admin_port: adminPort, replicas: others } };
  const file = join(dir, `replica-${i}.yaml`);
  writeFileSync(file, stringify(policy));
  const proc = spawn(process.execPath, [join(PROJECT_ROOT, 'bin', 'warmroute.mjs'), 'sidecar', '--policy', file], { stdio: ['ignore', 'pipe', 'pipe'] });
  const output: string[] = [];
  proc.stdout!.on('data', (d: Buffer) => output.push(d.toString()));
  proc.stderr!.on('data', (d: Buffer) => output.push(d.toString()));
  const replica = { proc, grpcPort, adminPort, output };
  await eventually(async () => (await status(replica).catch(() => undefined)) !== undefined, 60_000, `replica ${i} up (${output.join('')})`);
  return replica;
}

async function status(r: Replica): Promise<{ queued: number; decisions: Decision[]; backends: Array<{ name: string; healthy: boolean; models: Record<string, string> }> }> {
  const res = await fetch(`http://127.0.0.1:${r.adminPort}/status`);
  return (await res.json()) as never;
}

async function chat(url: string, session: string, turn: number, maxTokens?: number): Promise<{ status: number; deltas: number; error?: string }> {
  const body = { model: 'm1', messages: [{ role: 'user', content: `turn ${turn}` }], stream: true, ...(maxTokens ? { max_tokens: maxTokens } : {}) };
  const res = await post(url + '/v1/chat/completions', body, { 'x-session-id': session });
  if (res.status !== 200) return { status: res.status, deltas: 0, error: await res.text() };
  const { events } = await readSse(res).catch((e: unknown) => ({ events: [{ at: 0, data: `cut: ${String(e)}` }] }));
  return { status: res.status, deltas: events.at(-1)?.data === '[DONE]' ? chatDeltas(events).length : -1 };
}

describe('two sidecar replicas behind one Envoy', () => {
  const sims: Record<string, RunningSim> = {};
  const replicas: Replica[] = [];
  let envoy: RunningEnvoy;
  let url: string;

  beforeAll(async () => {
    for (const n of ['a', 'b', 'c']) sims[n] = await startSim({ name: n, ...box() });
    const [listenPort, envoyAdmin] = [await freePort(), await freePort()];
    const base = Policy.parse({
      listen: { host: '127.0.0.1', port: listenPort },
      envoy: { admin_port: envoyAdmin },
      backends: Object.entries(sims).map(([name, s]) => ({ name, kind: 'llama-swap', url: s.url, models: ['m1'], slots: 1, probe: { interval_ms: 300 } })),
    });
    const dir = mkdtempSync(join(tmpdir(), 'warmroute-replicas-'));
    const grpcPorts = [await freePort(), await freePort()];
    for (let i = 0; i < 2; i++) replicas.push(await startReplica(base, dir, i, grpcPorts));
    // The policy Envoy is rendered from names the first replica and lists the other (sidecar.replicas).
    const config = renderEnvoyConfig({ ...base, sidecar: { ...base.sidecar, grpc_port: replicas[0]!.grpcPort, replicas: [`127.0.0.1:${replicas[1]!.grpcPort}`] } });
    envoy = await launchEnvoy(config, envoyAdmin);
    url = `http://127.0.0.1:${listenPort}`;
    // Both replicas have probed every backend: m1 is warm on a, b and c alike.
    for (const r of replicas) await eventually(async () => (await status(r)).backends.every((b) => b.healthy && b.models.m1 === 'warm'), 20_000, 'replica probes');
  }, 120_000);

  afterAll(async () => {
    await envoy?.stop();
    for (const r of replicas) if (r.proc.exitCode === null) r.proc.kill('SIGKILL');
    for (const s of Object.values(sims)) await s.close();
  });

  it('each conversation stays on one backend, whichever replica decides its turns', async () => {
    const sessions = Array.from({ length: 7 }, (_, i) => `conv-${i}`);
    // Turns interleave across conversations, as concurrent users' turns do.
    for (let turn = 0; turn < 4; turn++) {
      for (const s of sessions) expect(await chat(url, s, turn)).toEqual({ status: 200, deltas: 8 });
    }
    const decisions = (await Promise.all(replicas.map(status))).map((st, i) => st.decisions.map((d) => ({ ...d, replica: i })));
    // /status shows session keys only as their tags.
    const tags = new Set(sessions.map(sessionTag));
    const all = decisions.flat().filter((d) => d.sessionKey !== undefined && tags.has(d.sessionKey));
    expect(all).toHaveLength(sessions.length * 4);
    const bySession = new Map<string, { backends: Set<string>; replicas: Set<number> }>();
    for (const d of all) {
      const e = bySession.get(d.sessionKey!) ?? { backends: new Set(), replicas: new Set() };
      e.backends.add(d.backend);
      e.replicas.add(d.replica);
      bySession.set(d.sessionKey!, e);
    }
    expect(bySession.size).toBe(sessions.length);
    for (const [key, e] of bySession) expect([...e.backends], `backends of ${key}`).toHaveLength(1);
    // The test is not vacuous: both replicas decided turns, and most conversations had turns decided by both.
    expect(decisions.every((d) => d.length > 0)).toBe(true);
    expect([...bySession.values()].filter((e) => e.replicas.size === 2).length).toBeGreaterThanOrEqual(3);
  });

  it('killing one replica loses no request: its routed requests finish, its queued ones and new ones are decided by the other', async () => {
    // Each replica counts one slot per backend (policy slots: 1) and sees only its own requests, so with ten
    // long requests spread over both, each replica runs three and queues the rest.
    const long = Array.from({ length: 10 }, (_, i) => chat(url, `long-${i}`, 0, 40));
    await eventually(async () => (await status(replicas[1]!)).queued > 0, 20_000, 'a request waiting in replica 1');
    replicas[1]!.proc.kill('SIGKILL');
    const after: Array<{ status: number; deltas: number; error?: string }> = [];
    for (let i = 0; i < 8; i++) after.push(await chat(url, `after-${i}`, 0));
    const done = await Promise.all(long);
    expect(done.filter((r) => r.status !== 200 || r.deltas !== 40)).toEqual([]);
    expect(after.filter((r) => r.status !== 200 || r.deltas !== 8)).toEqual([]);
    // The queued ones went round the listener once more (withSidecarReplicas' second pass).
    const stats = await (await fetch(`http://127.0.0.1:${envoy.adminPort}/stats?filter=warmroute_self.upstream_rq_total`)).text();
    expect(Number(/upstream_rq_total: (\d+)/.exec(stats)?.[1] ?? 0)).toBeGreaterThan(0);
  });
});
