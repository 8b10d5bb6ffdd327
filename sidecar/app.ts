// Wires the sidecar together: datastore, scheduler, request control, the
// ext_proc gRPC server and the admin HTTP server. I/O lives here and in the
// prober; everything the request path touches is in memory.
import { Server, ServerCredentials } from '@grpc/grpc-js';
import { createServer, type Server as HttpServer } from 'node:http';
import { loadExtProc } from './extproc/proto.ts';
import { handleStream } from './extproc/service.ts';
import type { ExternalProcessorHandlers } from './extproc/generated/envoy/service/ext_proc/v3/ExternalProcessor.ts';
import { Datastore } from './backends/datastore.ts';
import { RequestControl } from './control/request-control.ts';
import { systemClock, type Clock } from './control/clock.ts';
import { createScheduler } from './scheduler/index.ts';
import type { SchedulerCore } from './scheduler/types.ts';
import type { Policy } from './policy/schema.ts';
import { jsonLogger, type Logger } from './log.ts';
import { startProbing, type ProbingHandle } from './backends/probing.ts';
import { watchPolicy, type ReloadResult } from './policy/reload.ts';
import { ResponseIdTable } from './control/response-ids.ts';
import { Metrics } from './telemetry/metrics.ts';
import { addHealthService } from './epp/health.ts';

export interface SidecarOptions {
  policy: Policy;
  clock?: Clock;
  log?: Logger;
  /** Start the background prober (off in tests that set backend state by hand). */
  probe?: boolean;
  /** Watch this policy file (and SIGHUP) and apply valid edits live. */
  policyFile?: string;
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
  const log = opts.log ?? jsonLogger('sidecar');
  const clock = opts.clock ?? systemClock;
  let policy = opts.policy;
  const store = new Datastore(policy);
  const scheduler: SchedulerCore = createScheduler(policy, store);
  const metrics = new Metrics(store, () => control.queued());
  const control: RequestControl = new RequestControl(scheduler, clock, (o, model) => {
    metrics.admission(model, o);
    if (o.type === 'reject') log('request_rejected', { model, status: o.status, code: o.code });
  });

  // A 5xx (or Envoy's 503 for a refused connection) marks the backend down
  // until a probe succeeds: a fast-failing server must not attract traffic.
  const observeResponse = (backend: string, model: string, status: number): void => {
    const now = clock.now();
    const transitions = status >= 500 ? store.markRequestFailure(backend, now, `HTTP ${status} on a request`) : status > 0 && status < 400 ? store.observeFirstByte(backend, model, now) : [];
    for (const t of transitions) {
      log('backend_transition', { ...t });
      metrics.transition(t);
    }
    if (transitions.length) control.poke();
  };

  const responseIds = new ResponseIdTable();
  const proto = loadExtProc();
  const grpc = new Server({ 'grpc.max_receive_message_length': policy.envoy.max_body_bytes + 1024 * 1024 });
  const handlers: ExternalProcessorHandlers = {
    Process: (call) => handleStream(call, { policy: () => policy, store, control, log, observeResponse, responseIds, decided: (ms) => metrics.decided(ms) }),
  };
  grpc.addService(proto.envoy.service.ext_proc.v3.ExternalProcessor.service, handlers);
  let closing = false;
  addHealthService(grpc, { serving: () => !closing });
  const grpcPort = await new Promise<number>((resolve, reject) =>
    grpc.bindAsync(`${policy.sidecar.bind_host}:${policy.sidecar.grpc_port}`, ServerCredentials.createInsecure(), (err, port) => (err ? reject(err) : resolve(port))),
  );

  const probing: ProbingHandle | undefined =
    opts.probe === false
      ? undefined
      : startProbing(store, clock, log, {
          transition: (t) => metrics.transition(t),
          probed: (name, ok, ms) => {
            metrics.probe(name, ok, ms);
            control.poke();
          },
        });

  const reloads = { ok: 0, rejected: 0, last: undefined as undefined | { at: string; ok: boolean; error?: string } };
  const applyPolicy = (next: Policy): void => {
    policy = next;
    if (probing) probing.prober.setPolicy(next);
    else store.setBackends(next);
    scheduler.setPolicy(next);
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

  const admin = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://admin');
    if (url.pathname === '/status') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          strategy: policy.scheduler.strategy,
          reloads,
          queued: control.queued(),
          running: control.running(),
          inFlight: store.totalInFlight(),
          releaseUnderflows: store.releaseUnderflows,
          backends: store.views().map(viewJson),
          models: store.modelCatalog(),
          queue: scheduler.queueSnapshot(clock.now()),
          decisions: scheduler.recentDecisions().slice(-50),
        }),
      );
      return;
    }
    if (url.pathname === '/metrics') {
      void metrics.registry.metrics().then((text) => res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(text));
      return;
    }
    if (url.pathname === '/healthz') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
      return;
    }
    res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: 'not found', type: 'invalid_request_error', code: 'not_found' } }));
  });
  const adminPort = await listen(admin, policy.sidecar.admin_host, policy.sidecar.admin_port);
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
      await new Promise<void>((r) => grpc.tryShutdown(() => r()));
      grpc.forceShutdown();
      admin.closeAllConnections();
      await new Promise<void>((r) => admin.close(() => r()));
    },
  };
}

function viewJson(v: ReturnType<Datastore['views']>[number]): Record<string, unknown> {
  return {
    name: v.name,
    healthy: v.healthy,
    slots: v.slots,
    maxModels: Number.isFinite(v.maxModels) ? v.maxModels : null,
    inFlight: v.inFlight,
    externalInFlight: v.externalInFlight,
    models: Object.fromEntries([...v.models].map(([k, m]) => [k, m.state])),
  };
}

function listen(server: HttpServer, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      const a = server.address();
      resolve(typeof a === 'object' && a ? a.port : port);
    });
  });
}
