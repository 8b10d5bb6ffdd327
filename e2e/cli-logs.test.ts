// The sidecar's log lines from a real `warmroute sidecar` process: sentences
// for people with --log-format human, JSON lines when piped (the default here)
// or with --log-format json. A backend that does not answer is named with why.
import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { eventually, freePort } from './harness.ts';
import { startCli, stopCli } from './cli-run.ts';
import { startSim } from '../sim/index.ts';
import { sessionTag } from '../sidecar/log.ts';

async function policyFile(): Promise<string> {
  const file = join(mkdtempSync(join(tmpdir(), 'warmroute-logs-')), 'policy.yaml');
  const dead = await freePort();
  writeFileSync(
    file,
    stringify({
      sidecar: { grpc_port: await freePort(), admin_port: await freePort() },
      backends: [{ name: 'offline-box', kind: 'openai', url: `http://127.0.0.1:${dead}`, models: ['m1'], probe: { interval_ms: 200 } }],
    }),
  );
  return file;
}

async function logsOf(args: string[], until: (out: string) => boolean): Promise<string> {
  const { child, output } = startCli(['sidecar', '--policy', await policyFile(), ...args], { WARMROUTE_LOG: '', WARMROUTE_LOG_FORMAT: '' });
  try {
    await eventually(() => until(output()), 40_000, `log lines; got:\n${output()}`);
  } finally {
    expect(await stopCli(child)).toBe(0);
  }
  return output();
}

describe('sidecar logs', () => {
  it('--log-format human: one sentence per event, saying which backend and why', async () => {
    const out = await logsOf(['--log-format', 'human'], (o) => o.includes('is DOWN'));
    expect(out).toMatch(/^\d\d:\d\d:\d\d\.\d{3} sidecar up: ext_proc on 127\.0\.0\.1:\d+, admin\/dashboard on http:\/\/127\.0\.0\.1:\d+\//m);
    expect(out).toMatch(/^\d\d:\d\d:\d\d\.\d{3} backend offline-box is DOWN \(.+\); no traffic until a probe answers$/m);
    expect(out).not.toMatch(/^\{/m);
  }, 60_000);

  it('piped (no flag) and --log-format json: one JSON object per line', async () => {
    for (const args of [[], ['--log-format', 'json']]) {
      const out = await logsOf(args, (o) => o.includes('"to":"down"'));
      const events = out
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { event: string; c: string; t: string; backend?: string; reason?: string });
      expect(events[0]).toMatchObject({ c: 'sidecar', event: 'sidecar_started' });
      const down = events.find((e) => e.event === 'backend_transition' && e.backend === 'offline-box');
      expect(down?.reason).toBeTruthy();
    }
  }, 90_000);

  it('refuses an unknown --log-format', async () => {
    const { child, output } = startCli(['sidecar', '--policy', await policyFile(), '--log-format', 'xml']);
    const code = await new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
    expect(code).toBe(1);
    expect(output()).toContain('--log-format must be one of human, json');
  }, 60_000);

  it('never logs a prompt or a raw session key, in either format, even with --log-requests', async () => {
    const sim = await startSim({ kind: 'openai', name: 'a', models: [{ id: 'm1', loaded: true }], defaultMaxTokens: 2 });
    const SECRET = 'the-launch-code-is-0000';
    const SESSION = 'conversation-of-alice-42';
    try {
      for (const format of ['human', 'json']) {
        const listen = await freePort();
        const file = join(mkdtempSync(join(tmpdir(), 'warmroute-redact-')), 'policy.yaml');
        writeFileSync(
          file,
          stringify({
            listen: { host: '127.0.0.1', port: listen },
            sidecar: { grpc_port: await freePort(), admin_port: await freePort() },
            envoy: { admin_port: await freePort() },
            backends: [{ name: 'a', kind: 'openai', url: sim.url, models: ['m1'] }],
          }),
        );
        const { child, output } = startCli(['up', '--policy', file, '--log-requests', '--log-format', format], { WARMROUTE_LOG: '' });
        try {
          await eventually(() => output().includes('backends:'), 60_000, `up; output:\n${output()}`);
          const post = (body: string) =>
            fetch(`http://127.0.0.1:${listen}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-session-id': SESSION }, body }).then((r) => r.text());
          await post(JSON.stringify({ model: 'm1', messages: [{ role: 'user', content: SECRET }] })); // routed
          await post(JSON.stringify({ model: 'no-such-model', messages: [{ role: 'user', content: SECRET }] })); // refused: 404
          await post(`{"model":"m1","messages":[{"content":"${SECRET}"`); // malformed: 400
          await eventually(() => output().includes('no-such-model'), 20_000, `the refusal's log line; output:\n${output()}`);
        } finally {
          expect(await stopCli(child)).toBe(0);
        }
        const out = output();
        expect(out, format).toContain(format === 'json' ? '"event":"request_routed"' : 'm1 → a (');
        if (format === 'json') expect(out).toContain(`"session":"${sessionTag(SESSION)}"`); // the human sentence leaves it out
        expect(out, format).not.toContain(SECRET);
        expect(out, format).not.toContain(SESSION);
      }
    } finally {
      await sim.close();
    }
  }, 180_000);
});

