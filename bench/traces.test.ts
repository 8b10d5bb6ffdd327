// Smoke run of bench:traces: every committed trace × every strategy comes out
// well-formed, each run at or above the trace's lower bound. No comparisons
// between strategies: those live in bench/results/traces.md.
import { describe, expect, it } from 'vitest';
import { Strategy } from '../sidecar/policy/schema.ts';
import { runTraces, tracesMarkdown } from './traces.ts';
import { fidelityMarkdown } from './traces-fidelity.ts';

describe('bench:traces smoke', () => {
  it('replays every trace with every strategy, never below the lower bound', async () => {
    const r = await runTraces();
    expect(r.traces.map((t) => t.trace.name)).toEqual(expect.arrayContaining(['agentic', 'skewed-chat', 'rare-model', 'embedding-bursts', 'day']));
    for (const t of r.traces) {
      expect(t.trace.description).not.toBe('');
      expect(t.runs.map((x) => x.label)).toEqual([...Strategy.options]);
      for (const run of t.runs) {
        expect(run.requests).toBe(t.trace.requests);
        if (run.failed > 0) continue;
        expect(run.loads).toBeGreaterThanOrEqual(t.lowerBound!.loads);
        expect(run.makespanMs).toBeGreaterThanOrEqual(t.lowerBound!.makespanMs);
      }
    }
    const md = tracesMarkdown(r);
    for (const t of r.traces) expect(md).toContain(`## ${t.trace.name}`);
    expect(fidelityMarkdown({ date: r.date, command: 'x', machine: r.machine, pairs: [] })).toContain('| trace | strategy |');
  }, 300_000);
});
