// Virtual-time replay: deterministic, and every run keeps the trace's
// contract (each request answered once, dependencies honoured, counts add up)
// on every committed trace and every strategy.
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Strategy } from '../policy/schema.ts';
import { readInputs } from './inputs.ts';
import { reportOf } from './report.ts';
import { dependenciesOf } from './trace.ts';
import { replayVirtual } from './virtual.ts';

const TRACES = fileURLToPath(new URL('../../bench/traces/', import.meta.url));
const names = readdirSync(TRACES)
  .filter((f) => f.endsWith('.jsonl'))
  .map((f) => f.replace(/\.jsonl$/, ''));
const inputsOf = (name: string) => readInputs(`${TRACES}${name}.jsonl`, `${TRACES}${name}.policy.yaml`, `${TRACES}${name}.fleet.yaml`);

describe('virtual-time replay', () => {
  it('gives the same report for the same inputs', () => {
    const { trace, policy, fleet } = inputsOf('agentic');
    for (const s of ['warm-first', 'random'] as const) {
      const a = reportOf(replayVirtual(trace, policy, fleet, s));
      const b = reportOf(replayVirtual(trace, policy, fleet, s));
      expect({ ...a, wallMs: 0 }).toEqual({ ...b, wallMs: 0 });
    }
  });

  it.each(names)('%s: every request answered once, after its dependencies, by every strategy', (name) => {
    const { trace, policy, fleet } = inputsOf(name);
    const byId = new Map(trace.requests.map((r) => [r.id, r]));
    for (const strategy of Strategy.options) {
      const run = replayVirtual(trace, policy, fleet, strategy);
      expect(run.requests.map((r) => r.id)).toEqual(trace.requests.map((r) => r.id));
      const ends = new Map(run.requests.map((r) => [r.id, r.endedAt]));
      for (const r of run.requests) {
        const spec = byId.get(r.id)!;
        const deps = dependenciesOf(spec);
        const earliest = deps.length > 0 ? Math.max(...deps.map((d) => ends.get(d)!)) + (spec.gap_ms ?? 0) : spec.at_ms!;
        expect(r.arrivedAt).toBe(earliest);
        if (r.failed) continue;
        expect(r.backend, `${strategy} ${r.id}`).toBeDefined();
        expect(r.startedAt).toBeGreaterThanOrEqual(r.arrivedAt);
        expect(r.endedAt).toBeGreaterThan(r.startedAt!);
        expect(fleet.find((s) => s.name === r.backend)!.models.has(r.model)).toBe(true);
      }
      const report = reportOf(run);
      expect(report.requests).toBe(trace.requests.length);
      expect(Object.values(report.models).reduce((n, m) => n + m.requests, 0)).toBe(trace.requests.length);
      expect(Object.values(report.backends).reduce((n, k) => n + k, 0) + report.failed).toBe(trace.requests.length);
      expect(Object.values(report.models).reduce((n, m) => n + (m.loads ?? 0), 0)).toBe(report.loads);
    }
  }, 120_000);

  it('a fleet derived from the policy alone replays too', async () => {
    const { parsePolicy } = await import('../policy/load.ts');
    const { buildFleetModel } = await import('./fleet-model.ts');
    const { trace } = inputsOf('architect-editor');
    const policy = parsePolicy('backends:\n  - { name: one, kind: llama-swap, url: "http://127.0.0.1:1", models: [architect, editor], max_models: 1 }\n');
    const report = reportOf(replayVirtual(trace, policy, buildFleetModel(policy), 'warm-first'));
    expect(report.failed).toBe(0);
    expect(report.backends).toEqual({ one: trace.requests.length });
  });
});
