// A discrete-event driver: feeds a workload to a scheduler over a simulated
// world, playing the edge's part (submit, complete, tick at nextWakeAt,
// probe when a load finishes). Time is simulated; nothing sleeps.
import type { DecisionRecord, EdgeOutcome, PrewarmOutcome, SchedulerCore } from '../types.ts';
import type { World } from './world.ts';

export interface Arrival {
  at: number;
  id: string;
  model: string;
  serviceMs: number;
  sessionKey?: string;
}

export interface TraceResult {
  /** Dispatch time per request. */
  started: Map<string, number>;
  finished: Map<string, number>;
  rejected: Map<string, string>;
  decisions: DecisionRecord[];
  /** Pre-warm outcomes, in order. */
  prewarms: PrewarmOutcome[];
  /** Time the last event happened. */
  end: number;
}

interface Event {
  at: number;
  kind: 'probe' | 'finish' | 'arrive';
  id?: string;
  arrival?: Arrival;
}

/**
 * Run `arrivals`, plus what `followUps` adds when a request finishes (a
 * closed loop, like an agent's next turn), until nothing is left to do.
 */
export function runTrace(sched: SchedulerCore<EdgeOutcome>, world: World, arrivals: readonly Arrival[], followUps: (finished: Arrival, at: number) => Arrival[] = () => [], maxSteps = 100_000): TraceResult {
  const events: Event[] = arrivals.map((a) => ({ at: a.at, kind: 'arrive', arrival: a }));
  const byId = new Map(arrivals.map((a) => [a.id, a]));
  const result: TraceResult = { started: new Map(), finished: new Map(), rejected: new Map(), decisions: [], prewarms: [], end: 0 };
  const order = { probe: 0, finish: 1, arrive: 2 } as const;

  const handle = (outcomes: ReturnType<SchedulerCore<EdgeOutcome>['tick']>, now: number) => {
    for (const o of outcomes) {
      if (o.type === 'reject') {
        result.rejected.set(o.id, o.code);
        continue;
      }
      if (o.type === 'prewarm') {
        // The edge performs a pre-warm through the server's load API; a cancel stops only the call (the server
        // finishes a load it started), so the world sees the load either way.
        result.prewarms.push(o);
        if (o.action === 'start') {
          const ready = world.prewarm(o.backend, o.model, now);
          if (ready > now) events.push({ at: ready, kind: 'probe' });
        }
        continue;
      }
      const a = byId.get(o.id)!;
      result.started.set(o.id, now);
      result.decisions.push(o.record);
      const ready = world.dispatch(o.id, o.record.backend, o.record.model, now);
      if (ready > now) events.push({ at: ready, kind: 'probe' });
      events.push({ at: ready + a.serviceMs, kind: 'finish', id: o.id });
    }
  };

  for (let step = 0; step < maxSteps; step++) {
    events.sort((x, y) => x.at - y.at || order[x.kind] - order[y.kind]);
    const wake = sched.nextWakeAt();
    const next = events[0];
    if (!next && wake === undefined) return result;
    if (!next || (wake !== undefined && wake < next.at)) {
      result.end = wake!;
      handle(sched.tick(wake!), wake!);
      continue;
    }
    events.shift();
    const now = next.at;
    result.end = now;
    if (next.kind === 'probe') {
      world.probe(now);
      handle(sched.tick(now), now);
    } else if (next.kind === 'finish') {
      const a = byId.get(next.id!)!;
      world.finish(a.id, now);
      result.finished.set(a.id, now);
      handle(sched.complete(a.id, now, { ok: true, durationMs: now - result.started.get(a.id)! }), now);
      for (const f of followUps(a, now)) {
        byId.set(f.id, f);
        events.push({ at: f.at, kind: 'arrive', arrival: f });
      }
    } else {
      const a = next.arrival!;
      handle(sched.submit({ id: a.id, model: a.model, sessionKey: a.sessionKey, promptBytes: 100, stream: true }, now), now);
    }
  }
  throw new Error('trace did not settle');
}
