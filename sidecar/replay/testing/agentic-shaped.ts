// Random agentic-shaped traces over one-model boxes: rounds of a plan, then
// chains of sub-agent steps on other models, then the next plan after every
// chain's last step. The turns-bound property test and bench:oracle's
// soundness check draw from it.
import fc from 'fast-check';
import { Policy } from '../../policy/schema.ts';
import { buildFleetModel, type ServerModel } from '../fleet-model.ts';
import { formatTraceLine, type TraceRequestInput } from '../trace.ts';

const MODELS = ['plan', 'a', 'b', 'c'];

export const boxArb = fc.record({
  // Mostly boxes that serve every model (the case where models must take turns), sometimes a subset.
  models: fc.oneof({ arbitrary: fc.constant(MODELS), weight: 3 }, { arbitrary: fc.subarray(MODELS, { minLength: 1 }), weight: 1 }),
  warm: fc.option(fc.constantFrom(...MODELS), { nil: undefined }),
  loadInitMs: fc.integer({ min: 0, max: 2500 }),
  tokensPerSec: fc.integer({ min: 20, max: 400 }),
  ttftMs: fc.integer({ min: 0, max: 200 }),
});
export type Box = typeof boxArb extends fc.Arbitrary<infer T> ? T : never;

export const roundArb = fc.array(
  fc.record({
    model: fc.constantFrom('a', 'b', 'c'),
    steps: fc.array(fc.record({ gap: fc.integer({ min: 0, max: 1500 }), out: fc.integer({ min: 1, max: 80 }) }), { minLength: 1, maxLength: 3 }),
  }),
  { minLength: 1, maxLength: 3 },
);
export type Round = typeof roundArb extends fc.Arbitrary<infer T> ? T : never;

/** Boxes that hold one model at a time, 2 slots each, and the policy naming them. */
export function oneModelFleet(boxes: readonly Box[]): { policy: Policy; fleet: ServerModel[] } {
  const fleet = buildFleetModel(policyOf(boxes), {
    backends: boxes.map((b, i) => ({
      name: `box${i}`,
      kind: 'llama-swap' as const,
      maxLoaded: 1,
      slots: 2,
      loadInitMs: b.loadInitMs,
      loadGBps: 2,
      tokensPerSec: b.tokensPerSec,
      ttftMs: b.ttftMs,
      models: b.models.map((id) => ({ id, sizeGB: 1, loaded: b.warm === id })),
    })),
  });
  return { policy: policyOf(boxes), fleet };
}

function policyOf(boxes: readonly Box[]): Policy {
  return Policy.parse({ backends: boxes.map((b, i) => ({ name: `box${i}`, kind: 'llama-swap', url: `http://10.0.0.${i + 1}:80`, models: b.models, slots: 2, max_models: 1 })) });
}

/** Rounds: plan → chains of steps (each on its model) → the next round's plan after every chain's last step. */
export function agenticTrace(rounds: readonly Round[], planGap: number): string {
  const lines: TraceRequestInput[] = [];
  let previous: string[] = [];
  for (const [k, chains] of rounds.entries()) {
    const plan = `r${k}-plan`;
    lines.push({ id: plan, model: 'plan', prompt_tokens: 100, output_tokens: 10, ...(k === 0 ? { at_ms: 0 } : { after: previous, gap_ms: planGap }) });
    previous = [];
    for (const [c, chain] of chains.entries()) {
      let before = plan;
      for (const [s, step] of chain.steps.entries()) {
        const id = `r${k}-c${c}-s${s}`;
        lines.push({ id, model: chain.model, session: `r${k}-c${c}`, prompt_tokens: 100, output_tokens: step.out, after: before, gap_ms: step.gap });
        before = id;
      }
      previous.push(before);
    }
  }
  return lines.map(formatTraceLine).join('\n');
}
