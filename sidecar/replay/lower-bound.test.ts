// The lower bound is a bound: on random small traces and fleets, no strategy
// that serves every request does better than it, in loads or in makespan.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { FleetSpec } from '../../sim/spec.ts';
import { Policy, Strategy } from '../policy/schema.ts';
import { buildFleetModel } from './fleet-model.ts';
import { lowerBound } from './lower-bound.ts';
import { reportOf } from './report.ts';
import { oneBox } from './testing/one-box.ts';
import { parseTrace, formatTraceLine, type TraceRequestInput } from './trace.ts';
import { replayVirtual } from './virtual.ts';

const MODELS = ['a', 'b', 'c'];

const backendArb = fc.record({
  kind: fc.constantFrom('llama-swap' as const, 'ollama' as const, 'omlx' as const),
  maxLoaded: fc.integer({ min: 1, max: 3 }),
  slots: fc.integer({ min: 1, max: 3 }),
  loadInitMs: fc.integer({ min: 0, max: 3000 }),
  tokensPerSec: fc.integer({ min: 10, max: 200 }),
  ttftMs: fc.integer({ min: 0, max: 300 }),
  models: fc.subarray(MODELS, { minLength: 1 }),
  warm: fc.subarray(MODELS),
  sizeGB: fc.double({ min: 0.5, max: 8, noNaN: true }),
});

const requestArb = fc.record({
  model: fc.constantFrom(...MODELS),
  at: fc.integer({ min: 0, max: 8000 }),
  deps: fc.array(fc.nat(), { maxLength: 2 }),
  closed: fc.boolean(),
  gap: fc.integer({ min: 0, max: 500 }),
  out: fc.integer({ min: 0, max: 60 }),
  session: fc.option(fc.constantFrom('s1', 's2', 's3'), { nil: undefined }),
});

describe('lower bound', () => {
  it('is at or below every strategy that serves every request', () => {
    fc.assert(
      fc.property(fc.array(backendArb, { minLength: 1, maxLength: 3 }), fc.array(requestArb, { minLength: 1, maxLength: 12 }), (backends, reqs) => {
        const fleetSpec: FleetSpec = {
          backends: backends.map((b, i) => ({
            name: `b${i}`,
            kind: b.kind,
            maxLoaded: b.maxLoaded,
            slots: b.slots,
            loadInitMs: b.loadInitMs,
            tokensPerSec: b.tokensPerSec,
            ttftMs: b.ttftMs,
            models: b.models.map((id) => ({ id, sizeGB: b.sizeGB, loaded: b.warm.includes(id) })),
          })),
        };
        const policy = Policy.parse({ backends: backends.map((b, i) => ({ name: `b${i}`, kind: b.kind, url: `http://10.0.0.${i + 1}:80`, models: b.models, slots: b.slots, max_models: b.maxLoaded })) });
        const lines: TraceRequestInput[] = reqs.map((r, i) => {
          const deps = [...new Set(r.deps.filter(() => i > 0).map((d) => `r${d % i}`))];
          const common = { id: `r${i}`, model: r.model, prompt_tokens: 100, output_tokens: r.out, session: r.session };
          return r.closed && deps.length > 0 ? { ...common, after: deps, gap_ms: r.gap } : { ...common, at_ms: r.at };
        });
        const trace = parseTrace(lines.map(formatTraceLine).join('\n'));
        const fleet = buildFleetModel(policy, fleetSpec);
        const lb = lowerBound(trace, fleet);
        for (const s of Strategy.options) {
          const report = reportOf(replayVirtual(trace, policy, fleet, s));
          const servable = trace.requests.length - lb.unservable;
          if (report.failed > lb.unservable || servable === 0) continue;
          expect(report.loads, s).toBeGreaterThanOrEqual(lb.loads);
          expect(report.makespanMs, s).toBeGreaterThanOrEqual(lb.makespanMs);
        }
      }),
      { numRuns: 120, seed: 0x1b0 },
    );
  }, 300_000);

  it('counts cold models, the critical path with one load each, and work over slots', () => {
    const { fleet } = oneBox('llama-swap', 1, 1, { a: 1, b: 3 });
    const trace = parseTrace(
      [
        '{"id":"1","model":"a","at_ms":0,"prompt_tokens":1,"output_tokens":11}',
        '{"id":"2","model":"b","after":"1","gap_ms":500,"prompt_tokens":1,"output_tokens":1}',
        '{"id":"3","model":"a","at_ms":100,"prompt_tokens":1,"output_tokens":1}',
      ].join('\n'),
    );
    // a loads in 2 s, b in 4 s; service = 100 ms + 100 ms per token after the first.
    // 1: max(0, 2000) + 1100 = 3100; 2: max(3600, 4000) + 100 = 4100; 3: 2000 + 100.
    // Turns (groups {1}, {2} of the closed loop): a loads, then 1 runs: 2000 + 1100; 2 starts 500 ms after 1 ends: 600.
    expect(lowerBound(trace, fleet)).toEqual({ loads: 2, coldModels: 2, makespanMs: 4100, criticalPathMs: 4100, workMs: 1300, turnsMs: 3700, unservable: 0 });
  });
});
