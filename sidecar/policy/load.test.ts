import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parsePolicy, PolicyError } from './load.ts';
import { envoyBoundChanges, validateReload } from './reload.ts';
import { PROJECT_ROOT } from '../envoy/binary.ts';

const problems = (text: string) => {
  try {
    parsePolicy(text);
  } catch (e) {
    if (e instanceof PolicyError) return e.problems;
    throw e;
  }
  throw new Error('expected the policy to be rejected');
};

describe('parsePolicy', () => {
  it.each(readdirSync(join(PROJECT_ROOT, 'policies')).filter((f) => f.endsWith('.yaml')))('accepts policies/%s', (f) => {
    expect(parsePolicy(readFileSync(join(PROJECT_ROOT, 'policies', f), 'utf8'), f).backends.length).toBeGreaterThan(0);
  });

  it('fills every default from the minimal policy', () => {
    const p = parsePolicy('backends: [{ name: a, url: "http://127.0.0.1:8080" }]');
    expect(p.listen.port).toBe(18080);
    expect(p.scheduler.strategy).toBe('warm-first');
    expect(p.backends[0]!.probe.interval_ms).toBe(2000);
    expect(p.envoy.mode).toBe('original_dst');
  });

  it('reports a typo’d key with its line and column', () => {
    const [p] = problems('listen: { port: 18080 }\nbackends:\n  - name: a\n    url: "http://x:1"\n    modles: [m1]\n');
    expect(p).toMatchObject({ path: 'backends.0', line: 5, col: 5 });
    expect(p!.message).toMatch(/modles/);
  });

  it('reports a wrong type with its line', () => {
    const [p] = problems('backends:\n  - name: a\n    url: "http://x:1"\n    slots: many\n');
    expect(p).toMatchObject({ path: 'backends.0.slots', line: 4 });
  });

  it('reports YAML syntax errors and duplicate backend names', () => {
    expect(problems('backends: [\n')[0]!.line).toBeDefined();
    expect(problems('backends:\n  - { name: a, url: "http://x:1" }\n  - { name: a, url: "http://x:2" }\n')[0]!.message).toMatch(/duplicate/);
  });
});

describe('reload validation', () => {
  const base = parsePolicy('backends: [{ name: a, url: "http://127.0.0.1:1", models: [m1] }]');
  it('accepts backend, model and scheduler changes; refuses what Envoy is rendered from', () => {
    expect(validateReload(base, 'backends: [{ name: b, url: "http://127.0.0.1:2", models: [m1] }]\nscheduler: { strategy: fifo }', 'x').ok).toBe(true);
    expect(envoyBoundChanges(base, parsePolicy('listen: { port: 9 }\nbackends: [{ name: a, url: "http://127.0.0.1:1" }]'))).toEqual(['listen']);
    const r = validateReload(base, 'backends: oops', 'x');
    expect(r.ok).toBe(false);
  });
});
