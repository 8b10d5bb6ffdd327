// llama-swap PR #611's case: an agentic client (opencode) runs an orchestrator
// model that, each round, starts two explorers and a coder in parallel on two
// other models; each worker takes three turns; the orchestrator's next turn
// comes when all three have finished. Backends hold one model each. Invariants
// only (every request served, no capacity violation, nobody past the aging
// bound); how warm-first compares with the baselines on loads and makespan is
// measured by bench/agentic.ts and bench/traces.ts, not asserted here.
import { describe, expect, it } from 'vitest';
import type { Strategy } from '../../policy/schema.ts';
import { setup } from '../testing/fixtures.ts';
import { runTrace, type Arrival } from '../testing/trace.ts';
import { World } from '../testing/world.ts';
import { runAgentic } from '../testing/agentic.ts';

const ROUNDS = 5;
const LOAD_MS = 8000;

function agenticRun(strategy: Strategy, backends: number) {
  const models = ['orchestrator', 'explorer', 'coder'];
  const s = setup(
    Array.from({ length: backends }, (_, i) => ({ name: `gpu${i + 1}`, models, slots: 1, max_models: 1 })),
    { scheduler: { strategy } },
  );
  const world = new World(s.policy, s.store, () => LOAD_MS);
  world.probe(0);
  const workersLeft = new Map<number, number>();
  const orchestrator = (round: number, at: number): Arrival => ({ at, id: `o${round}`, model: 'orchestrator', serviceMs: 3000, sessionKey: 'orchestrator' });
  const worker = (name: string, model: string, serviceMs: number, round: number, turn: number, at: number): Arrival => ({
    at,
    id: `${name}:${round}:${turn}`,
    model,
    serviceMs,
    sessionKey: `${name}-${round}`,
  });
  const next = (done: Arrival, at: number): Arrival[] => {
    if (done.model === 'orchestrator') {
      const round = Number(done.id.slice(1));
      if (round >= ROUNDS) return [];
      workersLeft.set(round, 3);
      return [worker('explorer1', 'explorer', 4000, round, 1, at + 100), worker('explorer2', 'explorer', 4000, round, 1, at + 150), worker('coder', 'coder', 6000, round, 1, at + 200)];
    }
    const [name, roundText, turnText] = done.id.split(':');
    const round = Number(roundText);
    const turn = Number(turnText);
    if (turn < 3) return [worker(name!, done.model, done.serviceMs, round, turn + 1, at + 200)];
    const left = workersLeft.get(round)! - 1;
    workersLeft.set(round, left);
    return left === 0 ? [orchestrator(round + 1, at + 200)] : [];
  };
  const r = runTrace(s.sched, world, [orchestrator(1, 0)], next);
  return { loads: world.loads.length, violations: world.violations, requests: r.finished.size, end: r.end };
}

describe('agentic workload (llama-swap #611)', () => {
  it.each([2, 3])('every strategy runs every request of every round with %i single-model backends, with no capacity violation', (backends) => {
    const expected = ROUNDS + (ROUNDS - 1) * 9;
    for (const strategy of ['warm-first', 'fifo', 'least-connections'] as const) {
      const r = agenticRun(strategy, backends);
      expect([r.requests, r.violations], strategy).toEqual([expected, []]);
    }
  });

  it('with a backend per model, warm-first loads each model about once', () => {
    expect(agenticRun('warm-first', 3).loads).toBe(3);
  });
});

/** The e2e suite's burst (e2e/scheduling.test.ts): 21 requests on three models within 100 ms, two one-model backends with 2 slots. */
function burstRun(strategy: Strategy) {
  const models = ['orchestrator', 'explorer', 'coder'];
  const s = setup(
    ['a', 'b'].map((name) => ({ name, models, slots: 2, max_models: 1 })),
    { scheduler: { strategy, unload_delay_ms: 300, aging_ms: 10_000 } },
  );
  const world = new World(s.policy, s.store, () => 600);
  world.probe(0);
  const trace = Array.from({ length: 3 }, () => ['orchestrator', 'explorer', 'coder', 'explorer', 'orchestrator', 'explorer', 'coder']).flat();
  const r = runTrace(s.sched, world, trace.map((model, i) => ({ at: i * 5, id: `r${i}`, model, serviceMs: 70 })));
  return { loads: world.loads.length, served: r.finished.size, maxQueuedMs: Math.max(...r.decisions.map((d) => d.queuedMs)), violations: world.violations };
}

describe('burst of three models over two one-model backends', () => {
  it('warm-first collates: each model loads once and nobody waits past the aging bound; every strategy serves all', () => {
    const [warm, fifo, lc] = (['warm-first', 'fifo', 'least-connections'] as const).map(burstRun);
    for (const r of [warm, fifo, lc]) expect([r!.served, r!.violations]).toEqual([21, []]);
    expect(warm!.loads).toBe(3);
    expect(warm!.maxQueuedMs).toBeLessThan(10_000);
  });
});

describe('issue 13 agentic workload (orchestrator polling while sub-agents run), virtual time', () => {
  it.each(['warm-first', 'fifo', 'least-connections', 'round-robin', 'aging-bonus'] as const)('%s serves every request with no capacity violation', (strategy) => {
    const r = runAgentic(strategy);
    expect([r.served, r.rejected, r.violations]).toEqual([r.requests, 0, []]);
  });

  it('warm-first dispatches every request within the aging bound', () => {
    expect(runAgentic('warm-first').maxQueuedMs).toBeLessThan(30_000);
  });
});
