// Prometheus metrics on the admin port. Counters are fed by the edges (request
// control, prober, reload); gauges are read from memory at scrape time.
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Datastore, Transition } from '../backends/datastore.ts';
import type { Admission } from '../control/request-control.ts';

/**
 * The `model` label of a name no backend lists or reports. Clients choose model
 * names; a label per name would let any client grow the series set without bound.
 */
export const UNKNOWN_MODEL = 'unknown';

const SECONDS = [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 2, 5, 10, 30, 60, 120, 300];

export class Metrics {
  readonly registry = new Registry();
  private readonly requests = new Counter({ name: 'warmroute_requests_total', help: 'Routed requests by model, backend and outcome (dispatched, or the refusal code).', labelNames: ['model', 'backend', 'outcome'], registers: [this.registry] });
  private readonly decisions = new Counter({ name: 'warmroute_decisions_total', help: 'Dispatch decisions by reason (warm, joined-load, cold-load, affinity, pinned, baseline) and whether the request queued.', labelNames: ['reason', 'queued'], registers: [this.registry] });
  private readonly queueWait = new Histogram({ name: 'warmroute_queue_wait_seconds', help: 'Time requests waited in the sidecar before dispatch.', buckets: SECONDS, registers: [this.registry] });
  private readonly loads = new Counter({ name: 'warmroute_model_loads_total', help: 'Model loads observed (cold → warm), by backend and model.', labelNames: ['backend', 'model'], registers: [this.registry] });
  private readonly loadTime = new Histogram({ name: 'warmroute_model_load_seconds', help: 'Observed model load times, by backend.', labelNames: ['backend'], buckets: SECONDS, registers: [this.registry] });
  private readonly probes = new Histogram({ name: 'warmroute_probe_duration_seconds', help: 'Probe durations, by backend and result.', labelNames: ['backend', 'result'], buckets: SECONDS, registers: [this.registry] });
  private readonly reloads = new Counter({ name: 'warmroute_policy_reloads_total', help: 'Policy reloads by result (applied, rejected).', labelNames: ['result'], registers: [this.registry] });
  private readonly decisionLatency = new Histogram({ name: 'warmroute_decision_seconds', help: 'ext_proc decision latency for requests dispatched without queueing (body received → answer written).', buckets: [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01], registers: [this.registry] });

  constructor(
    private readonly store: Datastore,
    queueDepth: () => number,
  ) {
    new Gauge({ name: 'warmroute_queue_depth', help: 'Requests waiting in the sidecar.', registers: [this.registry], collect() { this.set(queueDepth()); } });
    new Gauge({
      name: 'warmroute_backend_in_flight',
      help: 'Requests this sidecar has running on each backend.',
      labelNames: ['backend'],
      registers: [this.registry],
      collect() {
        this.reset(); // a backend removed by a reload loses its series
        for (const v of store.views()) this.set({ backend: v.name }, v.inFlight);
      },
    });
    new Gauge({
      name: 'warmroute_backend_healthy',
      help: '1 when the backend is healthy.',
      labelNames: ['backend'],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const v of store.views()) this.set({ backend: v.name }, v.healthy ? 1 : 0);
      },
    });
    new Gauge({
      name: 'warmroute_model_warm',
      help: '1 when the model is warm on the backend, 0.5 while loading, 0 when cold.',
      labelNames: ['backend', 'model'],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const v of store.views()) for (const [m, mv] of v.models) this.set({ backend: v.name, model: m }, mv.state === 'warm' ? 1 : mv.state === 'loading' ? 0.5 : 0);
      },
    });
  }

  admission(requested: string, o: Admission): void {
    const model = this.store.hasModelRecord(requested) ? requested : UNKNOWN_MODEL;
    if (o.type === 'reject') {
      this.requests.inc({ model, backend: '', outcome: o.code });
      return;
    }
    const r = o.record;
    this.requests.inc({ model, backend: r.backend, outcome: 'dispatched' });
    this.decisions.inc({ reason: r.reason, queued: r.queuedMs > 0 ? 'yes' : 'no' });
    this.queueWait.observe(r.queuedMs / 1000);
  }

  transition(t: Transition): void {
    if (t.kind === 'model' && t.to === 'warm' && t.loadMs !== undefined && t.model) {
      this.loads.inc({ backend: t.backend, model: t.model });
      this.loadTime.observe({ backend: t.backend }, t.loadMs / 1000);
    }
  }

  probe(backend: string, ok: boolean, ms: number): void {
    this.probes.observe({ backend, result: ok ? 'ok' : 'failed' }, ms / 1000);
  }

  reload(ok: boolean): void {
    this.reloads.inc({ result: ok ? 'applied' : 'rejected' });
  }

  decided(ms: number): void {
    this.decisionLatency.observe(ms / 1000);
  }
}
