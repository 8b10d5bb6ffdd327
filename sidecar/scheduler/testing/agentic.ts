// The agentic workload of issue 13, in virtual time: an orchestrator that,
// each round, takes a turn on its own model, starts parallel sub-agents on two
// other models (each a chain of turns with short gaps: a closed loop), and
// polls with short requests on its own model while they run. Boxes hold one
// model each. Run against the real scheduler core over the simulated world.
import type { BackendKind, Strategy } from '../../policy/schema.ts';
import { setup } from './fixtures.ts';
import { runTrace, type Arrival } from './trace.ts';
import { World } from './world.ts';

export interface AgenticShape {
  rounds: number;
  boxes: number;
  slots: number;
  loadMs: number;
  orchestratorMs: number;
  pollMs: number;
  /** Gap between the end of a poll and the next one. */
  pollEveryMs: number;
  /** Sub-agents per round: model and count. */
  subAgents: ReadonlyArray<{ model: string; count: number }>;
  turns: number;
  turnMs: number;
  /** Gap between a sub-agent's turns (its tool calls). */
  gapMs: number;
  /** Server software of the boxes (llama-swap has a load call, so warm-first may pre-warm). */
  kind: BackendKind;
}

export const AGENTIC_SHAPE: AgenticShape = {
  rounds: 4,
  boxes: 2,
  slots: 2,
  loadMs: 1500,
  orchestratorMs: 1500,
  pollMs: 200,
  pollEveryMs: 1000,
  subAgents: [
    { model: 'explorer', count: 2 },
    { model: 'coder', count: 1 },
  ],
  turns: 3,
  turnMs: 2000,
  gapMs: 200,
  kind: 'llama-swap',
};

export interface AgenticResult {
  strategy: Strategy;
  requests: number;
  served: number;
  rejected: number;
  loads: number;
  makespanMs: number;
  maxQueuedMs: number;
  violations: string[];
  /** Pre-warm loads started (warm-first only; included in loads). */
  prewarmLoads: number;
}

export function runAgentic(strategy: Strategy, shape: AgenticShape = AGENTIC_SHAPE, scheduler: Record<string, unknown> = {}): AgenticResult {
  const models = ['orchestrator', ...shape.subAgents.map((s) => s.model)];
  const s = setup(
    Array.from({ length: shape.boxes }, (_, i) => ({ name: `box${i + 1}`, models, slots: shape.slots, max_models: 1, kind: shape.kind })),
    { scheduler: { strategy, ...scheduler } },
  );
  const world = new World(s.policy, s.store, () => shape.loadMs);
  world.probe(0);
  let submitted = 0;
  let pollSeq = 0;
  const chainsLeft = new Map<number, number>();
  const arrival = (a: Omit<Arrival, 'at'>, at: number): Arrival => {
    submitted++;
    return { ...a, at };
  };
  const orchestrator = (round: number, at: number) => arrival({ id: `o${round}`, model: 'orchestrator', serviceMs: shape.orchestratorMs, sessionKey: 'orchestrator' }, at);
  const poll = (round: number, at: number) => arrival({ id: `p${round}:${pollSeq++}`, model: 'orchestrator', serviceMs: shape.pollMs, sessionKey: 'orchestrator' }, at);
  const turn = (round: number, model: string, k: number, t: number, at: number) =>
    arrival({ id: `s${round}:${model}:${k}:${t}`, model, serviceMs: shape.turnMs, sessionKey: `${model}-${round}-${k}` }, at);

  const next = (done: Arrival, at: number): Arrival[] => {
    const [head, ...rest] = done.id.split(':');
    const kind = head![0];
    const round = Number(head!.slice(1));
    if (kind === 'o') {
      if (round >= shape.rounds) return [];
      const chains = shape.subAgents.flatMap((sa) => Array.from({ length: sa.count }, (_, k) => turn(round, sa.model, k, 1, at + 50 * (k + 1))));
      chainsLeft.set(round, chains.length);
      return [...chains, poll(round, at + shape.pollEveryMs)];
    }
    if (kind === 'p') return (chainsLeft.get(round) ?? 0) > 0 ? [poll(round, at + shape.pollEveryMs)] : [];
    const [model, k, t] = [rest[0]!, Number(rest[1]), Number(rest[2])];
    if (t < shape.turns) return [turn(round, model, k, t + 1, at + shape.gapMs)];
    const left = chainsLeft.get(round)! - 1;
    chainsLeft.set(round, left);
    return left === 0 ? [orchestrator(round + 1, at + shape.gapMs)] : [];
  };
  const r = runTrace(s.sched, world, [orchestrator(1, 0)], next);
  return {
    strategy,
    requests: submitted,
    served: r.finished.size,
    rejected: r.rejected.size,
    loads: world.loads.length,
    makespanMs: Math.max(0, ...r.finished.values()),
    maxQueuedMs: Math.max(0, ...r.decisions.map((d) => d.queuedMs)),
    violations: world.violations,
    prewarmLoads: world.prewarmLoads,
  };
}
