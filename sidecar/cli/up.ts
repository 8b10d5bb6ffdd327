// `warmroute up`: Envoy and the sidecar together until Ctrl-C. Says where the
// gateway and the dashboard are, then which backends answered their first
// probe and which models are warm.
import type { Policy } from '../policy/schema.ts';
import { renderEnvoyConfig } from '../envoy/config.ts';
import { launchEnvoy, type RunningEnvoy } from '../envoy/launch.ts';
import { startSidecar, type Sidecar } from '../app.ts';
import type { Logger } from '../log.ts';
import { systemClock } from '../control/clock.ts';
import { waitForSignal } from './shared.ts';
import { adminUrlOf } from './status.ts';
import { firstProbes, fleetLines, summarize } from './fleet-summary.ts';

/** How long `up` waits for every backend's first probe before reporting what it has. */
const FIRST_PROBES_WAIT_MS = 15_000;

export interface UpOptions {
  banner?: string;
  log?: Logger;
  logRequests?: boolean;
}

export async function up(policy: Policy, policyFile: string, o: UpOptions = {}): Promise<void> {
  let sidecar: Sidecar | undefined;
  let envoy: RunningEnvoy | undefined;
  try {
    sidecar = await startSidecar({ policy, policyFile, log: o.log, logRequests: o.logRequests });
    envoy = await launchEnvoy(renderEnvoyConfig(policy), policy.envoy.admin_port, { bin: policy.envoy.bin });
    envoy.process.once('exit', (code) => {
      console.error(`envoy exited (${code}); stopping`);
      process.kill(process.pid, 'SIGTERM');
    });
    const host = policy.listen.host === '0.0.0.0' ? '127.0.0.1' : policy.listen.host;
    const admin = adminUrlOf({ ...policy, sidecar: { ...policy.sidecar, admin_port: sidecar.adminPort } });
    console.error(`warmroute: gateway on http://${host}:${policy.listen.port} (Envoy ${policy.envoy.mode}, admin :${policy.envoy.admin_port})`);
    console.error(`  dashboard: ${admin}/   status: ${admin}/status   metrics: ${admin}/metrics   (or: warmroute status --policy ${policyFile})`);
    const store = sidecar.store;
    const stopped = waitForSignal();
    await Promise.race([firstProbes(store, systemClock, FIRST_PROBES_WAIT_MS), stopped]);
    for (const line of fleetLines(summarize(store))) console.error(line);
    if (o.banner) console.error(o.banner);
    await stopped;
  } finally {
    await envoy?.stop();
    await sidecar?.close();
  }
}
