// The problem bench:oracle hands the solver is the replay's own fleet model:
// the same service, load and unload times, and a horizon long enough for
// every schedule the strategies make. (The search itself needs OR-Tools and
// runs in bench:oracle, with its soundness check against the replay.)
import { describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { Strategy } from '../sidecar/policy/schema.ts';
import { requestServiceMs } from '../sidecar/replay/fleet-model.ts';
import { readInputs } from '../sidecar/replay/inputs.ts';
import { reportOf } from '../sidecar/replay/report.ts';
import { dependenciesOf } from '../sidecar/replay/trace.ts';
import { replayVirtual } from '../sidecar/replay/virtual.ts';
import { oracleProblem } from './oracle/problem.ts';

const base = fileURLToPath(new URL('./traces/agentic', import.meta.url));

describe('bench:oracle problem', () => {
  const { trace, policy, fleet } = readInputs(`${base}.jsonl`, `${base}.policy.yaml`, `${base}.fleet.yaml`);
  const problem = oracleProblem(trace, fleet, 10);

  it('carries the fleet model’s boxes: slots, unload time, load time per model, nothing warm', () => {
    expect(problem.boxes.map((b) => b.name)).toEqual(fleet.map((s) => s.name));
    for (const [i, b] of problem.boxes.entries()) {
      const s = fleet[i]!;
      expect(b).toMatchObject({ lanes: 1, slots: s.slots, slotScope: s.slotScope, unloadMs: Math.ceil(s.unloadMs), warm: [] });
      for (const m of ['orch', 'explore', 'code']) expect(b.loadMs[m]).toBe(Math.ceil(s.models.get(m)!.loadMs));
    }
  });

  it('carries every request with its arrival or dependencies and its service time on each box', () => {
    expect(problem.requests).toHaveLength(trace.requests.length);
    for (const [i, r] of trace.requests.entries()) {
      const p = problem.requests[i]!;
      expect(p).toMatchObject({ id: r.id, model: r.model, atMs: r.at_ms ?? null, after: [...dependenciesOf(r)], gapMs: r.gap_ms ?? 0 });
      for (const s of fleet) expect(p.serviceMs[s.name]).toBe(Math.ceil(requestServiceMs(s, r)));
    }
  });

  it('has a horizon past every strategy’s makespan, so no schedule they make is cut off', () => {
    for (const s of Strategy.options) expect(problem.horizonMs, s).toBeGreaterThan(reportOf(replayVirtual(trace, policy, fleet, s)).makespanMs);
  });
});
