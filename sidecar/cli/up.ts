// `warmroute up`: Envoy and the sidecar together until Ctrl-C.
import type { Policy } from '../policy/schema.ts';
import { renderEnvoyConfig } from '../envoy/config.ts';
import { launchEnvoy, type RunningEnvoy } from '../envoy/launch.ts';
import { startSidecar, type Sidecar } from '../app.ts';
import { waitForSignal } from './shared.ts';

export async function up(policy: Policy, policyFile: string, banner?: string): Promise<void> {
  let sidecar: Sidecar | undefined;
  let envoy: RunningEnvoy | undefined;
  try {
    sidecar = await startSidecar({ policy, policyFile });
    envoy = await launchEnvoy(renderEnvoyConfig(policy), policy.envoy.admin_port, { bin: policy.envoy.bin });
    envoy.process.once('exit', (code) => {
      console.error(`envoy exited (${code}); stopping`);
      process.kill(process.pid, 'SIGTERM');
    });
    const host = policy.listen.host === '0.0.0.0' ? '127.0.0.1' : policy.listen.host;
    console.error(`warmroute: gateway on http://${host}:${policy.listen.port} (Envoy ${policy.envoy.mode}, admin :${policy.envoy.admin_port}); sidecar status on http://${policy.sidecar.admin_host}:${sidecar.adminPort}/status`);
    if (banner) console.error(banner);
    await waitForSignal();
  } finally {
    await envoy?.stop();
    await sidecar?.close();
  }
}
