// Opt-in recording: what the sidecar's scheduler sees becomes a valid trace
// (hashed sessions, no bodies), written off the request path, bounded.
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { probe, setup } from '../scheduler/testing/fixtures.ts';
import { RecordSpec } from './record-spec.ts';
import { RecordingHook } from './recording.ts';
import { parseTrace } from './trace.ts';

const tmp = (): string => mkdtempSync(join(tmpdir(), 'warmroute-record-'));

describe('recording', () => {
  it('writes each request once it ends, in the trace format, with salted session hashes', async () => {
    const file = join(tmp(), 'traffic.jsonl');
    const { store, sched } = setup([{ name: 'a', models: ['m'], slots: 1 }]);
    probe(store, 'a', { m: 'warm' }, 0);
    let now = 1000;
    const hook = new RecordingHook(() => now, (e) => {
      throw new Error(e);
    });
    await hook.configure(RecordSpec.parse({ file, flush_ms: 60_000 }));
    const s = hook.wrap(sched);
    const base = { promptBytes: 400, stream: true };
    now = 1100;
    expect(s.submit({ id: 'x1', model: 'm', sessionKey: 'secret-user', ...base }, now)[0]).toMatchObject({ type: 'dispatch' });
    now = 1150;
    expect(s.submit({ id: 'x2', model: 'm', sessionKey: 'secret-user', ...base }, now)).toEqual([]); // queued: one slot
    expect(s.submit({ id: 'x3', model: 'nope', ...base }, now)[0]).toMatchObject({ type: 'reject', code: 'model_not_found' });
    now = 1400;
    expect(s.complete('x1', now, { ok: true, durationMs: 300 })[0]).toMatchObject({ type: 'dispatch', id: 'x2' });
    now = 1500;
    s.cancel('x2', now);
    expect(existsSync(file)).toBe(false); // nothing written before a flush
    await hook.current()!.flush();
    const text = readFileSync(file, 'utf8');
    expect(text).not.toContain('secret-user');
    const trace = parseTrace(text, file);
    expect(trace.requests).toHaveLength(3);
    const [rejected, first, cancelled] = trace.requests; // in order of ending
    expect(rejected).toMatchObject({ model: 'nope', at_ms: 150, service_ms: 0, recorded: { outcome: 'model_not_found' } });
    expect(first).toMatchObject({ model: 'm', at_ms: 100, prompt_tokens: 100, service_ms: 300, stream: true, recorded: { wait_ms: 0, backend: 'a', outcome: 'completed' } });
    expect(cancelled).toMatchObject({ at_ms: 150, service_ms: 100, recorded: { wait_ms: 250, outcome: 'cancelled' } });
    expect(first!.session).toMatch(/^[0-9a-f]{16}$/);
    expect(cancelled!.session).toBe(first!.session);
    await hook.close();
  });

  it('keeps an existing file, drops lines beyond the buffer bound and counts them', async () => {
    const dir = tmp();
    writeFileSync(join(dir, 'traffic.jsonl'), 'old\n');
    const { store, sched } = setup([{ name: 'a', models: ['m'], slots: 8 }]);
    probe(store, 'a', { m: 'warm' }, 0);
    const hook = new RecordingHook(() => 0, () => {});
    await hook.configure(RecordSpec.parse({ file: join(dir, 'traffic.jsonl'), flush_ms: 60_000, max_buffer: 2 }));
    const s = hook.wrap(sched);
    for (let i = 0; i < 5; i++) {
      s.submit({ id: `r${i}`, model: 'm', promptBytes: 10, stream: false }, i);
      s.complete(`r${i}`, i + 1, { ok: true, durationMs: 1 });
    }
    const rec = hook.current()!;
    expect(rec.file).toBe(join(dir, 'traffic.1.jsonl'));
    expect(rec.dropped).toBe(3);
    await hook.close();
    expect(readFileSync(join(dir, 'traffic.jsonl'), 'utf8')).toBe('old\n');
    expect(parseTrace(readFileSync(rec.file, 'utf8')).requests.map((r) => r.stream)).toEqual([false, false]);
    expect(rec.written).toBe(2);
  });

  it('passes calls straight through when recording is off', () => {
    const { store, sched } = setup([{ name: 'a', models: ['m'] }]);
    probe(store, 'a', { m: 'warm' }, 0);
    const s = new RecordingHook(() => 0, () => {}).wrap(sched);
    expect(s.submit({ id: 'q', model: 'm', promptBytes: 1, stream: true }, 0)[0]).toMatchObject({ type: 'dispatch', id: 'q' });
    expect(s.inFlight()).toBe(1);
  });
});
