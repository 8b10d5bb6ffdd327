// Virtual-time replay: the trace's requests go through the real scheduler
// (SchedulerPort) to simulated servers (VirtualServer) on one event queue.
// Nothing sleeps, so a long trace replays in a fraction of its duration, and
// the same inputs always give the same result. The edge's part is played here:
// submit on arrival, complete on end, tick at the scheduler's wake time and
// after each probe; a probe follows every load start and end and every
// eviction, as the prober and the response observer would report them
// (without their lag).
import type { Policy, Strategy } from '../policy/schema.ts';
import { EventQueue } from './event-queue.ts';
import { requestServiceMs, type ServerModel } from './fleet-model.ts';
import type { LoadCounts, RequestResult, RunResult } from './run-result.ts';
import { SchedulerPort, type PortOutcome } from './scheduler-port.ts';
import { dependencyIndex, outputTokensOf, release, type Trace, type TraceRequest } from './trace.ts';
import { VirtualServer, type ServerEvent } from './virtual-server.ts';

export class ReplayStuckError extends Error {}

/** Guard against a scheduler that keeps asking to be woken without progress. */
const MAX_IDLE_WAKES = 100_000;

export function replayVirtual(trace: Trace, policy: Policy, fleet: readonly ServerModel[], strategy: Strategy): RunResult {
  const wallStart = performance.now();
  const events = new EventQueue();
  const port = new SchedulerPort(policy, strategy, new Set(trace.requests.map((r) => r.session)).size);
  const loads: LoadCounts = { total: 0, byModel: {} };
  const servers = new Map<string, VirtualServer>();
  const onServer = (e: ServerEvent): void => {
    if (e.kind === 'load-start') {
      loads.total++;
      loads.byModel[e.model] = (loads.byModel[e.model] ?? 0) + 1;
    }
    probe(servers.get(e.backend)!, e.at);
    apply(port.tick(e.at), e.at);
  };
  for (const spec of fleet) servers.set(spec.name, new VirtualServer(spec, events, onServer));
  const probe = (s: VirtualServer, now: number): void =>
    port.probe({ backend: s.spec.name, models: s.snapshot(), loading: s.isLoading(), ...(Number.isFinite(s.spec.maxLoaded) ? { maxModels: s.spec.maxLoaded } : {}) }, now);

  const byId = new Map(trace.requests.map((r) => [r.id, r]));
  const results = new Map<string, RequestResult>();
  const deps = dependencyIndex(trace.requests);

  const ended = (id: string, now: number): void => {
    for (const next of release(deps, id)) events.at(now + (next.gap_ms ?? 0), (t) => arrive(next, t));
  };

  const arrive = (r: TraceRequest, now: number): void => {
    results.set(r.id, { id: r.id, model: r.model, arrivedAt: now, endedAt: now });
    apply(port.submit(r, now), now);
  };

  function apply(outcomes: readonly PortOutcome[], now: number): void {
    for (const o of outcomes) {
      if (o.type === 'prewarm') {
        servers.get(o.backend)?.preload(o.model, now);
        continue;
      }
      const res = results.get(o.id)!;
      if (o.type === 'reject') {
        res.failed = { status: o.status, code: o.code };
        res.endedAt = now;
        ended(o.id, now);
        continue;
      }
      const r = byId.get(o.id)!;
      const server = servers.get(o.backend)!;
      res.backend = o.backend;
      res.dispatchedAt = now;
      const dispatchedAt = now;
      server.submit(
        {
          id: r.id,
          model: o.model,
          serviceMs: requestServiceMs(server.spec, r),
          started: (t) => {
            res.startedAt = t;
          },
          ended: (t) => {
            res.endedAt = t;
            apply(port.complete(r.id, t, t - dispatchedAt, outputTokensOf(r)), t);
            ended(r.id, t);
          },
        },
        now,
      );
    }
  }

  for (const s of servers.values()) probe(s, 0);
  for (const r of trace.requests) if (r.at_ms !== undefined) events.at(r.at_ms, (t) => arrive(r, t));

  let idleWakes = 0;
  for (;;) {
    const next = events.peek();
    const wake = port.nextWakeAt();
    if (wake !== undefined && (next === undefined || wake < next)) {
      if (++idleWakes > MAX_IDLE_WAKES) throw new ReplayStuckError(`the scheduler kept waking without progress (${port.queueLength()} queued)`);
      apply(port.tick(wake), wake);
      continue;
    }
    const e = events.pop();
    if (!e) break;
    idleWakes = 0;
    e.run(e.at);
  }

  const unfinished = trace.requests.filter((r) => !results.has(r.id));
  if (unfinished.length > 0 || port.queueLength() > 0) throw new ReplayStuckError(`${unfinished.length} requests never arrived and ${port.queueLength()} stayed queued`);
  return { label: strategy, requests: trace.requests.map((r) => results.get(r.id)!), loads, wallMs: performance.now() - wallStart };
}
