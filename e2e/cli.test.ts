// `warmroute up --policy policies/two-openai.yaml` exactly as a user runs it:
// Envoy and the sidecar start together, serve through Envoy, and both stop on Ctrl-C.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { startSim, type RunningSim } from '../sim/index.ts';
import { PROJECT_ROOT } from '../sidecar/envoy/binary.ts';
import { eventually } from './harness.ts';

const GATEWAY = 'http://127.0.0.1:18080';
let sims: RunningSim[] = [];
let cli: ChildProcess;
let output = '';

async function chat(model: string): Promise<Response> {
  return fetch(`${GATEWAY}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model, stream: true, messages: [{ role: 'user', content: 'hi' }] }),
  });
}

describe('warmroute up', () => {
  beforeAll(async () => {
    sims = [
      await startSim({ kind: 'openai', name: 'a', port: 18101, models: [{ id: 'm1', loaded: true }], defaultMaxTokens: 5 }),
      await startSim({ kind: 'openai', name: 'b', port: 18102, models: [{ id: 'm2', loaded: true }, { id: 'm3', loaded: true }], defaultMaxTokens: 5 }),
    ];
    cli = spawn(process.execPath, [join(PROJECT_ROOT, 'bin/warmroute.mjs'), 'up', '--policy', join(PROJECT_ROOT, 'policies/two-openai.yaml')], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, WARMROUTE_LOG: 'silent' },
    });
    cli.stdout!.on('data', (d: Buffer) => (output += d));
    cli.stderr!.on('data', (d: Buffer) => (output += d));
    await eventually(() => output.includes('gateway on http://'), 40_000, `warmroute up to start; output:\n${output}`);
  }, 60_000);

  afterAll(async () => {
    if (cli.exitCode === null) cli.kill('SIGKILL');
    for (const s of sims) await s.close();
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

  it('stops Envoy and the sidecar on Ctrl-C', async () => {
    const exited = new Promise<number | null>((r) => cli.once('exit', (code) => r(code)));
    cli.kill('SIGINT');
    expect(await exited).toBe(0);
    await expect(fetch(`${GATEWAY}/v1/models`)).rejects.toThrow();
    await expect(fetch('http://127.0.0.1:18091/healthz')).rejects.toThrow();
  }, 20_000);
});
