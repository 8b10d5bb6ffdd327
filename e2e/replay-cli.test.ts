// `warmroute replay` as a user runs it: the real command on a committed trace.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../sidecar/envoy/binary.ts';
import type { ReplaySummary } from '../sidecar/replay/summary.ts';

const run = promisify(execFile);
const BIN = join(PROJECT_ROOT, 'bin', 'warmroute.mjs');
const T = (f: string): string => join(PROJECT_ROOT, 'bench', 'traces', f);

describe('warmroute replay (CLI)', () => {
  it('replays a committed trace in virtual time with --compare and writes --json', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'warmroute-replay-cli-')), 'r.json');
    const { stdout } = await run(process.execPath, [BIN, 'replay', '--trace', T('agentic.jsonl'), '--policy', T('agentic.policy.yaml'), '--fleet', T('agentic.fleet.yaml'), '--compare', 'fifo,least-connections', '--json', out], { timeout: 120_000 });
    expect(stdout).toContain('trace agentic: 72 requests');
    expect(stdout).toMatch(/lower bound: \d+ loads; makespan/);
    const summary = JSON.parse(readFileSync(out, 'utf8')) as ReplaySummary;
    expect(summary.runs.map((r) => r.label)).toEqual(['warm-first', 'fifo', 'least-connections']);
    for (const r of summary.runs) {
      expect(r.requests).toBe(72);
      expect(r.failed).toBe(0);
      expect(r.loads).toBeGreaterThanOrEqual(summary.lowerBound!.loads);
      expect(r.makespanMs).toBeGreaterThanOrEqual(summary.lowerBound!.makespanMs);
    }
  }, 150_000);

  it('names the file and line of a bad trace and exits 1; usage errors exit 2', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'warmroute-replay-cli-'));
    const bad = join(dir, 'bad.jsonl');
    writeFileSync(bad, '{"id":"a","model":"m","at_ms":0,"prompt_tokens":1,"output_tokens":1}\n{"id":"b","model":"m","prompt_tokens":1,"output_tokens":1}\n');
    const err = await run(process.execPath, [BIN, 'replay', '--trace', bad, '--policy', T('agentic.policy.yaml')], { timeout: 120_000 }).catch((e: { code: number; stderr: string }) => e);
    expect(err).toMatchObject({ code: 1 });
    expect((err as { stderr: string }).stderr).toContain(`${bad}:2: needs exactly one of "at_ms"`);
    const usage = await run(process.execPath, [BIN, 'replay', '--trace', T('agentic.jsonl'), '--compare', 'nonsense', '--policy', T('agentic.policy.yaml')], { timeout: 120_000 }).catch((e: { code: number; stderr: string }) => e);
    expect(usage).toMatchObject({ code: 2 });
    expect((usage as { stderr: string }).stderr).toContain('--compare: unknown strategy "nonsense"');
    const noTrace = await run(process.execPath, [BIN, 'replay'], { timeout: 120_000 }).catch((e: { code: number; stderr: string }) => e);
    expect(noTrace).toMatchObject({ code: 2 });
    expect((noTrace as { stderr: string }).stderr).toContain('replay needs --trace FILE');
  }, 150_000);
});
