// The turns bound is a makespan lower bound: on random agentic-shaped traces
// (rounds of a plan, then chains of sub-agent steps on other models, then the
// next plan) over one-model boxes, no strategy's virtual-time makespan is below
// it, and it is the reason the bound rose in many of those cases.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Strategy } from '../policy/schema.ts';
import { lowerBound } from './lower-bound.ts';
import { reportOf } from './report.ts';
import { agenticTrace, boxArb, oneModelFleet, roundArb } from './testing/agentic-shaped.ts';
import { oneBox } from './testing/one-box.ts';
import { parseTrace } from './trace.ts';
import { turnsMakespanBoundMs } from './turns-bound.ts';
import { replayVirtual } from './virtual.ts';

/** 1 → (2 on a, 3 on b) → 4: three precedence groups, the middle one needing both models. */
const DIAMOND = [
  '{"id":"1","model":"a","at_ms":0,"prompt_tokens":1,"output_tokens":1}',
  '{"id":"2","model":"a","after":"1","prompt_tokens":1,"output_tokens":1}',
  '{"id":"3","model":"b","after":"1","prompt_tokens":1,"output_tokens":1}',
  '{"id":"4","model":"a","after":["2","3"],"prompt_tokens":1,"output_tokens":1}',
].join('\n');

describe('turns bound', () => {
  it('is at or below every strategy on agentic-shaped traces over one-model boxes, and often the binding bound', () => {
    let checked = 0;
    let binding = 0;
    fc.assert(
      fc.property(fc.array(boxArb, { minLength: 1, maxLength: 3 }), fc.array(roundArb, { minLength: 2, maxLength: 4 }), fc.integer({ min: 0, max: 300 }), (boxes, rounds, planGap) => {
        const { policy, fleet } = oneModelFleet(boxes);
        const trace = parseTrace(agenticTrace(rounds, planGap));
        const lb = lowerBound(trace, fleet);
        if (lb.unservable > 0) return;
        if (lb.turnsMs > Math.max(lb.criticalPathMs, lb.workMs)) binding++;
        for (const s of Strategy.options) {
          const report = reportOf(replayVirtual(trace, policy, fleet, s));
          if (report.failed > 0) continue;
          checked++;
          expect(report.makespanMs, s).toBeGreaterThanOrEqual(lb.makespanMs);
        }
      }),
      { numRuns: 150, seed: 0x7a11 },
    );
    // Not vacuous: many runs were checked, and in many cases the turns bound was the one that counted.
    console.log(`turns bound: ${checked} runs checked, binding in ${binding} cases`);
    expect(checked).toBeGreaterThan(300);
    expect(binding).toBeGreaterThan(30);
  }, 300_000);

  it('charges a load inside a group that needs two models on one box, which the critical path counts once from time 0', () => {
    // One box, a and b load in 2 s each (1 s start + 1 GB at 1 GB/s), every request takes 100 ms.
    const { policy, fleet } = oneBox('llama-swap', 1, 2, { a: 1, b: 1 });
    const trace = parseTrace(DIAMOND);
    // Groups {1}, {2, 3}, {4}: a cold at the start, 2000 + 100; then a and b on one box: whichever it holds,
    // the other loads there, 100 + 100 + 2000; then 100. The critical path: 2000 + 100 + 100 + 100.
    expect(turnsMakespanBoundMs(trace, fleet)).toBe(4400);
    expect(lowerBound(trace, fleet)).toMatchObject({ criticalPathMs: 2300, turnsMs: 4400, makespanMs: 4400 });
    for (const s of Strategy.options) expect(reportOf(replayVirtual(trace, policy, fleet, s)).makespanMs, s).toBeGreaterThanOrEqual(4400);
  });

  it('leaves out groups whose models a server holding several at once also serves', () => {
    const { fleet } = oneBox('ollama', 2, 2, { a: 1, b: 1 });
    const trace = parseTrace(DIAMOND);
    // Only the critical paths of the groups add up: 100 each.
    expect(turnsMakespanBoundMs(trace, fleet)).toBe(300);
  });
});
