// `warmroute demo` as the README runs it: the mixed simulated fleet, Envoy and
// the sidecar; a streaming chat completion through Envoy arrives chunk by chunk.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../sidecar/envoy/binary.ts';
import { eventually } from './harness.ts';

let demo: ChildProcess;
let output = '';

describe('warmroute demo', () => {
  beforeAll(async () => {
    demo = spawn(process.execPath, [join(PROJECT_ROOT, 'bin/warmroute.mjs'), 'demo'], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, WARMROUTE_LOG: 'silent' } });
    demo.stdout!.on('data', (d: Buffer) => (output += d));
    demo.stderr!.on('data', (d: Buffer) => (output += d));
    await eventually(() => output.includes('curl -N'), 40_000, `the demo to start; output:\n${output}`);
  }, 60_000);
  afterAll(async () => {
    const exited = new Promise((r) => demo.once('exit', r));
    demo.kill('SIGINT');
    await exited;
  });

  it('prints a curl that streams through Envoy, chunks arriving as they are produced', async () => {
    const body = /-d '([^']+)'/.exec(output)?.[1];
    expect(body).toBeDefined();
    const res = await fetch('http://127.0.0.1:18080/v1/chat/completions', { method: 'POST', headers: { 'content-type': 'application/json' }, body: body! });
    expect(res.status).toBe(200);
    expect(res.headers.get('server')).toBe('envoy');
    const arrivals: number[] = [];
    let text = '';
    const reader = res.body!.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      arrivals.push(Date.now());
      text += Buffer.from(value).toString();
    }
    expect(text).toContain('data: [DONE]');
    expect(arrivals.length).toBeGreaterThan(3);
    expect(arrivals[arrivals.length - 1]! - arrivals[0]!).toBeGreaterThan(100); // streamed, not buffered
  });

  it('lists the fleet’s models with their state per backend', async () => {
    const list = (await (await fetch('http://127.0.0.1:18080/v1/models')).json()) as { data: Array<{ id: string; warmroute: { backends: Array<{ backend: string }> } }> };
    const coder = list.data.find((m) => m.id === 'qwen2.5-coder-7b');
    expect(coder?.warmroute.backends.map((b) => b.backend).sort()).toEqual(['macbook-ollama', 'mini-llama-swap']);
    expect(list.data.length).toBeGreaterThanOrEqual(7);
  });
});
