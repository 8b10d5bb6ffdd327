// The loads bound is a true lower bound: on tiny random traces and fleets it is
// at or below the least number of loads any schedule needs (found by
// exhaustive search), and that least number is at or below what every
// strategy does in virtual time (which checks the search against the
// simulated fleet).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { FleetSpec } from '../../sim/spec.ts';
import { Policy, Strategy } from '../policy/schema.ts';
import { buildFleetModel } from './fleet-model.ts';
import { loadsLowerBound } from './load-bound.ts';
import { reportOf } from './report.ts';
import { exactMinLoads } from './testing/exact-min-loads.ts';
import { formatTraceLine, parseTrace, type TraceRequestInput } from './trace.ts';
import { replayVirtual } from './virtual.ts';

const MODELS = ['a', 'b', 'c'];

const backendArb = fc.record({
  kind: fc.constantFrom('llama-swap' as const, 'ollama' as const),
  maxLoaded: fc.integer({ min: 1, max: 2 }),
  models: fc.subarray(MODELS, { minLength: 1 }),
  warm: fc.subarray(MODELS),
});

const requestArb = fc.record({
  model: fc.constantFrom(...MODELS),
  deps: fc.array(fc.nat(), { minLength: 1, maxLength: 2 }),
  closed: fc.double({ min: 0, max: 1, noNaN: true }),
  at: fc.integer({ min: 0, max: 3000 }),
});

type BackendCase = typeof backendArb extends fc.Arbitrary<infer T> ? T : never;
type RequestCase = typeof requestArb extends fc.Arbitrary<infer T> ? T : never;

function fleetOf(backends: readonly BackendCase[]) {
  const fleetSpec: FleetSpec = {
    backends: backends.map((b, i) => ({
      name: `b${i}`,
      kind: b.kind,
      maxLoaded: b.maxLoaded,
      slots: 2,
      loadInitMs: 300,
      tokensPerSec: 100,
      ttftMs: 20,
      models: b.models.map((id) => ({ id, sizeGB: 1, loaded: b.warm.includes(id) })),
    })),
  };
  const policy = Policy.parse({ backends: backends.map((b, i) => ({ name: `b${i}`, kind: b.kind, url: `http://10.0.0.${i + 1}:80`, models: b.models, slots: 2, max_models: b.maxLoaded })) });
  return { policy, fleet: buildFleetModel(policy, fleetSpec) };
}

function build(backends: readonly BackendCase[], reqs: readonly RequestCase[]) {
  const lines: TraceRequestInput[] = reqs.map((r, i) => {
    // Mostly on the last few requests: chains, as agent loops make.
    const deps = [...new Set(r.deps.filter(() => i > 0).map((d) => `r${Math.max(0, i - 1 - (d % 3))}`))];
    const common = { id: `r${i}`, model: r.model, prompt_tokens: 100, output_tokens: 20 };
    // Mostly closed loops: they are what makes the bound exceed the count of cold models.
    return r.closed < 0.8 && deps.length > 0 ? { ...common, after: deps, gap_ms: 10 } : { ...common, at_ms: r.at };
  });
  return { ...fleetOf(backends), trace: parseTrace(lines.map(formatTraceLine).join('\n')) };
}

describe('loads lower bound', () => {
  it('is at or below the exhaustive minimum, which is at or below every strategy', () => {
    fc.assert(
      fc.property(fc.array(backendArb, { minLength: 1, maxLength: 2 }), fc.array(requestArb, { minLength: 1, maxLength: 9 }), (backends, reqs) => {
        const { policy, fleet, trace } = build(backends, reqs);
        const bound = loadsLowerBound(trace, fleet);
        const least = exactMinLoads(trace, fleet);
        expect(bound.loads).toBeGreaterThanOrEqual(bound.coldModels);
        expect(bound.loads).toBeLessThanOrEqual(least);
        const unservable = trace.requests.filter((r) => !fleet.some((s) => s.models.has(r.model))).length;
        for (const s of Strategy.options) {
          const report = reportOf(replayVirtual(trace, policy, fleet, s));
          if (report.failed > unservable) continue;
          expect(report.loads, s).toBeGreaterThanOrEqual(least);
        }
      }),
      { numRuns: 300, seed: 0x10ad },
    );
  }, 300_000);

  it('with a wait bound, is at or below every strategy whose requests all started within it', () => {
    let checked = 0;
    let stronger = 0;
    fc.assert(
      fc.property(
        fc.array(backendArb, { minLength: 1, maxLength: 2 }),
        fc.array(fc.record({ model: fc.constantFrom(...MODELS), at: fc.integer({ min: 0, max: 12_000 }) }), { minLength: 1, maxLength: 14 }),
        fc.integer({ min: 200, max: 4000 }),
        (backends, reqs, waitBoundMs) => {
          const { policy, fleet } = fleetOf(backends);
          const trace = parseTrace(reqs.map((r, i) => formatTraceLine({ id: `r${i}`, model: r.model, at_ms: r.at, prompt_tokens: 100, output_tokens: 20 })).join('\n'));
          const bound = loadsLowerBound(trace, fleet, waitBoundMs);
          const free = loadsLowerBound(trace, fleet).loads;
          expect(bound.loads).toBeGreaterThanOrEqual(free);
          const unservable = trace.requests.filter((r) => !fleet.some((s) => s.models.has(r.model))).length;
          for (const s of Strategy.options) {
            const run = replayVirtual(trace, policy, fleet, s);
            const report = reportOf(run);
            if (report.failed > unservable) continue;
            if (run.requests.some((r) => r.startedAt !== undefined && r.startedAt - r.arrivedAt > waitBoundMs)) continue;
            checked++;
            if (bound.loads > free) stronger++;
            expect(report.loads, s).toBeGreaterThanOrEqual(bound.loads);
          }
        },
      ),
      { numRuns: 300, seed: 0x3a17 },
    );
    // The property held on runs that met the wait bound, not vacuously, and on runs where the wait bound counts more loads.
    expect(checked).toBeGreaterThan(100);
    expect(stronger).toBeGreaterThan(20);
  }, 300_000);

  it('with a wait bound, counts a model asked for again after another took the only place', () => {
    const { fleet } = fleetOf([{ kind: 'llama-swap', maxLoaded: 1, models: ['a', 'b'], warm: [] }]);
    const t = parseTrace(
      [
        '{"id":"1","model":"a","at_ms":0,"prompt_tokens":1,"output_tokens":5}',
        '{"id":"2","model":"b","at_ms":5000,"prompt_tokens":1,"output_tokens":5}',
        '{"id":"3","model":"a","at_ms":10000,"prompt_tokens":1,"output_tokens":5}',
      ].join('\n'),
    );
    // Free to wait without limit, an oracle serves both a's first (2 loads); within 1 s of arrival it cannot.
    expect(loadsLowerBound(t, fleet).loads).toBe(2);
    expect(loadsLowerBound(t, fleet, 1000).loads).toBe(3);
    expect(loadsLowerBound(t, fleet, 20_000).loads).toBe(2);
  });

  it('counts the swaps a closed loop forces when models outnumber the places to hold them', () => {
    // Two rounds of: plan (orch), then an explorer and a coder step, on two one-model boxes.
    const backends = [0, 1].map(() => ({ kind: 'llama-swap' as const, maxLoaded: 1, models: ['a', 'b', 'c'], warm: [] }));
    const { fleet } = fleetOf(backends);
    const t = parseTrace(
      [
        '{"id":"p1","model":"a","at_ms":0,"prompt_tokens":1,"output_tokens":5}',
        '{"id":"e1","model":"b","after":"p1","prompt_tokens":1,"output_tokens":5}',
        '{"id":"c1","model":"c","after":"p1","prompt_tokens":1,"output_tokens":5}',
        '{"id":"p2","model":"a","after":["e1","c1"],"prompt_tokens":1,"output_tokens":5}',
        '{"id":"e2","model":"b","after":"p2","prompt_tokens":1,"output_tokens":5}',
        '{"id":"c2","model":"c","after":"p2","prompt_tokens":1,"output_tokens":5}',
      ].join('\n'),
    );
    // a stays on one box; the other loads b, c, then (round 2) b again: 4, where counting cold models gives 3.
    expect(loadsLowerBound(t, fleet)).toEqual({ loads: 4, coldModels: 3 });
    expect(exactMinLoads(t, fleet)).toBe(4);
  });
});
