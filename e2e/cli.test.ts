// `warmroute up --policy FILE` exactly as a user runs it: Envoy and the sidecar
// start together, say where the gateway and dashboard are and which backends
// answered with which models warm, serve through Envoy, and stop on Ctrl-C.
// (policies/two-openai.yaml's shape, on free ports.)
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { startSim, type RunningSim } from '../sim/index.ts';
import { eventually, freePort } from './harness.ts';
import { startCli, stopCli } from './cli-run.ts';

let sims: RunningSim[] = [];
let cli: ChildProcess;
let output: () => string;
let gateway: string;
let adminPort: number;
let deadPort: number;

async function chat(model: string): Promise<Response> {
  return fetch(`${gateway}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model, stream: true, messages: [{ role: 'user', content: 'hi' }] }),
  });
}

describe('warmroute up', () => {
  beforeAll(async () => {
    sims = [
      await startSim({ kind: 'openai', name: 'a', models: [{ id: 'm1', loaded: true }], defaultMaxTokens: 5 }),
      await startSim({ kind: 'openai', name: 'b', models: [{ id: 'm2', loaded: true }, { id: 'm3', loaded: true }], defaultMaxTokens: 5 }),
    ];
    const listen = await freePort();
    adminPort = await freePort();
    deadPort = await freePort();
    gateway = `http://127.0.0.1:${listen}`;
    const file = join(mkdtempSync(join(tmpdir(), 'warmroute-cli-')), 'policy.yaml');
    writeFileSync(
      file,
      stringify({
        listen: { host: '127.0.0.1', port: listen },
        sidecar: { grpc_port: await freePort(), admin_port: adminPort },
        envoy: { admin_port: await freePort() },
        backends: [
          { name: 'a', kind: 'openai', url: sims[0]!.url, models: ['m1'] },
          { name: 'b', kind: 'openai', url: sims[1]!.url, models: ['m2', 'm3'] },
          { name: 'off', kind: 'openai', url: `http://127.0.0.1:${deadPort}`, models: ['m4'] },
        ],
      }),
    );
    ({ child: cli, output } = startCli(['up', '--policy', file], { WARMROUTE_LOG: 'silent' }));
    await eventually(() => output().includes('backends:'), 60_000, `warmroute up to report its backends; output:\n${output()}`);
  }, 90_000);

  afterAll(async () => {
    if (cli.exitCode === null) cli.kill('SIGKILL');
    for (const s of sims) await s.close();
  });

  it('names the gateway and the dashboard, then which backends answered and what is warm', () => {
    const out = output();
    expect(out).toContain(`gateway on ${gateway}`);
    expect(out).toContain(`dashboard: http://127.0.0.1:${adminPort}/`);
    expect(out).toContain('backends: 2 of 3 answered');
    expect(out).toMatch(/✓ a \(openai\) warm: m1/);
    expect(out).toMatch(/✓ b \(openai\) warm: m2, m3/);
    expect(out).toMatch(new RegExp(`✗ off \\(openai\\) not answering: .+`));
  });

  it('serves the policy file exactly as written, streaming through Envoy', async () => {
    const r1 = await chat('m1');
    expect(r1.status).toBe(200);
    expect(r1.headers.get('content-type')).toContain('text/event-stream');
    expect(await r1.text()).toContain('data: [DONE]');
    expect(sims[0]!.stats().requests).toBe(1);
    const r3 = await chat('m3');
    expect(r3.status).toBe(200);
    await r3.text();
    expect(sims[1]!.stats().requests).toBe(1);
  });

  it('serves the dashboard on the admin port', async () => {
    const r = await fetch(`http://127.0.0.1:${adminPort}/`);
    expect(r.status).toBe(200);
    expect(await r.text()).toContain('<title>warmroute</title>');
  });

  it('stops Envoy and the sidecar on Ctrl-C', async () => {
    expect(await stopCli(cli)).toBe(0);
    await expect(fetch(`${gateway}/v1/models`)).rejects.toThrow();
    await expect(fetch(`http://127.0.0.1:${adminPort}/healthz`)).rejects.toThrow();
  }, 20_000);
});
