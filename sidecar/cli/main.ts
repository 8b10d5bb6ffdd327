// `warmroute` subcommands: up, sidecar, check, envoy-config. `sim` and `demo`
// live in the simulator's own entry point (sim/cli.ts), which
// bin/warmroute.mjs runs for them: the product bundle carries no simulator.
import { parseArgs } from 'node:util';
import { PolicyError } from '../policy/load.ts';
import { renderEnvoyConfig } from '../envoy/config.ts';
import { startSidecar } from '../app.ts';
import { loadPolicy, UsageError, waitForSignal } from './shared.ts';
import { up } from './up.ts';

const USAGE = `warmroute — warm-first routing for local LLM servers (Envoy + ext_proc sidecar)

  warmroute up --policy FILE        start Envoy and the sidecar together (Ctrl-C stops both)
  warmroute sidecar --policy FILE   run the sidecar alone, for an Envoy you run yourself
  warmroute demo                    simulated backends + up, with a ready-made policy
  warmroute sim --fleet FILE        start simulated backends described in a fleet YAML
  warmroute check FILE              validate a policy (exit 1 on problems)
  warmroute envoy-config --policy FILE   print the Envoy config for a policy
  warmroute mesh-config --policy FILE    print Kubernetes / Istio resources (--help: options)
`;

export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (cmd === 'mesh-config') return (await import('./mesh-config.ts')).meshConfig(rest);
  const { values, positionals } = parseArgs({ args: rest, allowPositionals: true, options: { policy: { type: 'string' } } });
  try {
    switch (cmd) {
      case 'up':
        if (!values.policy) throw new UsageError('up needs --policy FILE');
        await up(loadPolicy(values.policy), values.policy);
        return 0;
      case 'sidecar': {
        if (!values.policy) throw new UsageError('sidecar needs --policy FILE');
        const s = await startSidecar({ policy: loadPolicy(values.policy), policyFile: values.policy });
        await waitForSignal();
        await s.close();
        return 0;
      }
      case 'check': {
        const file = positionals[0] ?? values.policy;
        if (!file) throw new UsageError('check needs FILE');
        const p = loadPolicy(file);
        console.log(`${file}: OK (${p.backends.length} backends, mode ${p.envoy.mode}, strategy ${p.scheduler.strategy})`);
        return 0;
      }
      case 'envoy-config':
        if (!values.policy) throw new UsageError('envoy-config needs --policy FILE');
        process.stdout.write(renderEnvoyConfig(loadPolicy(values.policy)));
        return 0;
      default:
        console.error(USAGE);
        return cmd === undefined || cmd === 'help' || cmd === '--help' ? 0 : 2;
    }
  } catch (e) {
    if (e instanceof PolicyError) {
      console.error(e.message);
      return 1;
    }
    if (e instanceof UsageError) {
      console.error(`${e.message}\n\n${USAGE}`);
      return 2;
    }
    console.error(e instanceof Error ? e.message : String(e));
    return 1;
  }
}
