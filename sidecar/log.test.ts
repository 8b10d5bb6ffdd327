import { describe, expect, it } from 'vitest';
import { chooseLogFormat, createLogger, redact, sessionTag } from './log.ts';

const capture = (format: 'human' | 'json') => {
  const lines: string[] = [];
  const log = createLogger('sidecar', { format, quiet: false, write: (l) => lines.push(l), now: () => new Date('2026-01-02T03:04:05.678Z') });
  return { log, lines };
};

describe('logs', () => {
  it('JSON: one object per line with time, component, event and fields', () => {
    const { log, lines } = capture('json');
    log('backend_transition', { backend: 'gpu', kind: 'model', model: 'qwen3-8b', from: 'loading', to: 'warm', loadMs: 4200 });
    expect(lines).toHaveLength(1);
    expect(lines[0]!.endsWith('\n')).toBe(true);
    expect(JSON.parse(lines[0]!)).toEqual({ t: '2026-01-02T03:04:05.678Z', c: 'sidecar', event: 'backend_transition', backend: 'gpu', kind: 'model', model: 'qwen3-8b', from: 'loading', to: 'warm', loadMs: 4200 });
  });

  it('human: a sentence saying what happened, to which backend, and why', () => {
    const { log, lines } = capture('human');
    log('backend_transition', { backend: 'gpu', kind: 'model', model: 'qwen3-8b', from: 'loading', to: 'warm', loadMs: 4200 });
    log('backend_transition', { backend: 'mac', kind: 'health', from: 'up', to: 'down', reason: 'connect ECONNREFUSED' });
    log('backend_transition', { backend: 'gpu', kind: 'model', model: 'gemma', from: 'warm', to: 'cold' });
    log('request_rejected', { model: 'nope', status: 404, code: 'model_not_found' });
    log('request_routed', { model: 'qwen3-8b', backend: 'gpu', reason: 'warm', queued_ms: 0, session: 's1' });
    log('request_routed', { model: 'gemma', backend: 'mac', reason: 'cold-load', queued_ms: 1200 });
    log('something_new', { a: 1, b: 'x' });
    expect(lines).toEqual([
      '03:04:05.678 gpu: qwen3-8b is warm (was loading, load took 4.2 s)\n',
      '03:04:05.678 backend mac is DOWN (connect ECONNREFUSED); no traffic until a probe answers\n',
      '03:04:05.678 gpu: gemma was unloaded (was warm)\n',
      '03:04:05.678 refused a request for nope: 404 model_not_found\n',
      '03:04:05.678 qwen3-8b → gpu (warm)\n',
      '03:04:05.678 gemma → mac (cold-load, waited 1200 ms in the queue)\n',
      '03:04:05.678 something new a=1 b=x\n',
    ]);
    expect(lines.join('')).not.toContain('{');
  });

  it('never writes bodies or prompts, and writes session keys only hashed, in either format', () => {
    for (const format of ['human', 'json'] as const) {
      const { log, lines } = capture(format);
      log('debug_event', { body: '{"messages":[{"content":"my secret prompt"}]}', prompt: 'my secret prompt', messages: [{ content: 'my secret prompt' }], session: 'user-42' });
      const out = lines.join('');
      expect(out).not.toContain('secret');
      expect(out).not.toContain('user-42');
      expect(out).toContain(sessionTag('user-42'));
    }
    expect(sessionTag('user-42')).toMatch(/^sha256:[0-9a-f]{12}$/);
    expect(redact({ sessionKey: 'k', model: 'm' })).toEqual({ sessionKey: sessionTag('k'), model: 'm' });
  });

  it('picks human on a terminal and JSON when piped, unless told', () => {
    expect(chooseLogFormat(undefined, true)).toBe('human');
    expect(chooseLogFormat(undefined, false)).toBe('json');
    expect(chooseLogFormat('json', true)).toBe('json');
    expect(chooseLogFormat('human', false)).toBe('human');
    expect(() => chooseLogFormat('xml', true)).toThrow(/--log-format/);
  });
});
