// Wires the sidecar together: datastore, scheduler, request control, the
// ext_proc gRPC server and the admin HTTP server. I/O lives here and in the
// prober; everything the request path touches is in memory.
import { startGrpcServer } from './extproc/grpc-server.ts';
import { handleStream } from './extproc/service.ts';
import { Datastore, type Transition } from './backends/datastore.ts';
import { RequestControl } from './control/request-control.ts';
import { systemClock, type Clock } from './control/clock.ts';
import { createSchedulerCore } from './scheduler/index.ts';
import type { SchedulerCore } from './scheduler/types.ts';
import type { Policy } from './policy/schema.ts';
import { createLogger, type Logger } from './log.ts';
import { startProbing, type ProbingHandle } from './backends/probing.ts';
import { watchPolicy, type ReloadResult } from './policy/reload.ts';
import { ResponseIdTable } from './control/response-ids.ts';
import { Metrics } from './telemetry/metrics.ts';
import { servingStatus } from './epp/health.ts';
import { startPrewarming } from './prewarm/index.ts';
import { RecordingHook } from './replay/recording.ts';
import { startAdminServer } from './admin/server.ts';
import { resolveAdminToken } from './admin/auth.ts';
import type { ReloadCounts } from './admin/status.ts';
import { FleetEvents } from './admin/events.ts';
import { GRPC_SERVER_MAX_CONCURRENT_STREAMS } from './envoy/capacity.ts';
import { failureReason, type UpstreamFailure } from './backends/failure-evidence.ts';

export interface SidecarOptions {
  policy: Policy;
  clock?: Clock;
  log?: Logger;
  /** Start the background prober (off in tests that set backend state by hand). */
  probe?: boolean;
  /** Watch this policy file (and SIGHUP) and apply valid edits live. */
  policyFile?: string;
  /** One log line per routed request (a write per request: for watching, not for load). */
  logRequests?: boolean;
}

export interface Sidecar {
  store: Datastore;
  scheduler: SchedulerCore;
  control: RequestControl;
  grpcPort: number;
  adminPort: number;
  policy(): Policy;
  /** Re-read the watched policy file now (as SIGHUP does). */
  reload(): Promise<ReloadResult>;
  close(): Promise<void>;
}

export async function startSidecar(opts: SidecarOptions): Promise<Sidecar> {
  const log = opts.log ?? createLogger('sidecar');
  const clock = opts.clock ?? systemClock;
  let policy = opts.policy;
  // Before binding anything: refuse an admin API open to the network.
  const adminToken = resolveAdminToken(policy.sidecar, process.env);
  const store = new Datastore(policy);
  const scheduler: SchedulerCore = createSchedulerCore(policy, store);
  const metrics = new Metrics(store, () => control.queued());
  const events = new FleetEvents();
  // Opt-in traffic recording (policy `record`): buffered in memory, written by a timer.
  const recording = new RecordingHook(() => clock.now(), (error) => log('recording_error', { error }));
  void recording.configure(policy.record);
  let prewarming: ReturnType<typeof startPrewarming> | undefined;
  const control: RequestControl = new RequestControl(
    recording.wrap(scheduler),
    clock,
    store,
    (o, model) => {
      metrics.admission(model, o);
      if (o.type === 'dispatch') {
        events.decided(o.record);
        const r = o.record;
        if (opts.logRequests) log('request_routed', { model, backend: r.backend, reason: r.reason, queued_ms: Math.round(r.queuedMs), session: r.sessionKey });
      }
      if (o.type === 'reject') log('request_rejected', { model, status: o.status, code: o.code });
    },
    (o) => prewarming?.handle(o),
  );

  // A refused connection marks the backend down at once, until a probe
  // succeeds: a dead server must not attract traffic. A reset or the server's
  // own 5xx counts only as part of a streak (failure-evidence.ts): one of
  // them is no proof that a server is gone, and marking it down would refuse
  // requests it could serve.
  const observeResponse = (backend: string, model: string, status: number, failure: UpstreamFailure | undefined): void => {
    const now = clock.now();
    if (status > 0 && status < 500) store.markRequestSuccess(backend);
    const transitions = failure ? store.markRequestFailure(backend, now, failureReason(status, failure), failure) : status > 0 && status < 400 ? store.observeFirstByte(backend, model, now) : [];
    for (const t of transitions) {
      const reason = failureBehind(t);
      log('backend_transition', { ...t, reason });
      metrics.transition(t);
      events.transition(t, now, reason);
    }
    if (transitions.length) control.poke();
  };

  /** What took a backend down (for the log line and the dashboard's timeline). */
  const failureBehind = (t: Transition): string | undefined => (t.kind === 'health' && t.to === 'down' ? store.status(t.backend)?.failure : undefined);

  const responseIds = new ResponseIdTable();
  let closing = false;
  const grpc = await startGrpcServer({
    host: policy.sidecar.bind_host,
    port: policy.sidecar.grpc_port,
    maxMessageBytes: policy.envoy.max_body_bytes + 1024 * 1024,
    // Never below Envoy's per-connection stream limit (sidecar/envoy/capacity.ts):
    // a stream over the advertised limit would be refused (REFUSED_STREAM, a 503 to the client).
    maxConcurrentStreams: GRPC_SERVER_MAX_CONCURRENT_STREAMS,
    process: (call) => handleStream(call, { policy: () => policy, store, control, log, observeResponse, responseIds, decided: (ms) => metrics.decided(ms) }),
    health: (service) => servingStatus(service, { serving: () => !closing }),
  });
  const grpcPort = grpc.port;

  const probing: ProbingHandle | undefined =
    opts.probe === false
      ? undefined
      : startProbing(store, clock, log, {
          transition: (t) => {
            metrics.transition(t);
            events.transition(t, clock.now(), failureBehind(t));
          },
          probed: (name, ok, ms) => {
            metrics.probe(name, ok, ms);
            events.probed(name, ok, clock.now(), store.status(name)?.failure);
            control.poke();
          },
        });

  prewarming = startPrewarming({ store, registry: metrics.registry, log, probeNow: (b) => void probing?.prober.probeNow(b) });

  const reloads: ReloadCounts = { ok: 0, rejected: 0, last: undefined };
  const applyPolicy = (next: Policy): void => {
    policy = next;
    if (probing) probing.prober.setPolicy(next);
    else store.setBackends(next);
    scheduler.setPolicy(next);
    void recording.configure(next.record);
    events.keepOnly(new Set(next.backends.map((b) => b.name)));
    control.poke();
  };
  const watcher = opts.policyFile
    ? watchPolicy(opts.policyFile, () => policy, applyPolicy, (r) => {
        metrics.reload(r.ok);
        if (r.ok) reloads.ok++;
        else reloads.rejected++;
        reloads.last = { at: new Date().toISOString(), ok: r.ok, ...(r.ok ? {} : { error: r.error }) };
        if (r.ok) log('policy_reloaded', { backends: r.policy.backends.map((b) => b.name), strategy: r.policy.scheduler.strategy });
        else log('policy_rejected', { error: r.error, kept: 'previous policy' });
      })
    : undefined;

  const admin = await startAdminServer(
    { policy: () => policy, store, scheduler, control, clock, reloads, metrics, events },
    { host: policy.sidecar.admin_host, port: policy.sidecar.admin_port, token: adminToken },
  );
  const adminPort = admin.port;
  log('sidecar_started', {
    grpc: `${policy.sidecar.host}:${grpcPort}`,
    admin: `${policy.sidecar.admin_host}:${adminPort}`,
    mode: policy.envoy.mode,
    strategy: policy.scheduler.strategy,
    backends: policy.backends.map((b) => `${b.name}(${b.kind}) ${b.url} [${b.models.join(',')}]`),
  });

  return {
    store,
    scheduler,
    control,
    grpcPort,
    adminPort,
    policy: () => policy,
    reload: () => watcher?.reload() ?? Promise.resolve({ ok: false, error: 'not watching a policy file' }),
    async close() {
      closing = true;
      watcher?.close();
      probing?.stop();
      prewarming?.close();
      await grpc.close();
      await admin.close();
      await recording.close();
    },
  };
}
