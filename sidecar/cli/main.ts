// `warmroute` subcommands: up, sidecar, status, check, envoy-config. `sim`, `demo` and
// `replay` live in the simulator's own entry point (sim/cli.ts), which
// bin/warmroute.mjs runs for them: the product bundle carries no simulator.
import { parseArgs } from 'node:util';
import { PolicyError } from '../policy/load.ts';
import { renderEnvoyConfig } from '../envoy/config.ts';
import { startSidecar } from '../app.ts';
import { loadPolicy, UsageError, waitForSignal } from './shared.ts';
import { up } from './up.ts';
import { adminUrlOf, DEFAULT_ADMIN_URL, status } from './status.ts';
import { ADMIN_TOKEN_ENV, isLoopback } from '../admin/auth.ts';
import { chooseLogFormat, createLogger, type Logger } from '../log.ts';

const USAGE = `warmroute — warm-first routing for local LLM servers (Envoy + ext_proc sidecar)

  warmroute up --policy FILE        start Envoy and the sidecar together (Ctrl-C stops both)
  warmroute sidecar --policy FILE   run the sidecar alone, for an Envoy you run yourself
  warmroute status [--policy FILE | --admin URL] [--json]
                                    backends, models and queue of a running sidecar (token: WARMROUTE_ADMIN_TOKEN)
  warmroute demo                    simulated backends + up, with a ready-made policy
  warmroute sim --fleet FILE        start simulated backends described in a fleet YAML
  warmroute check FILE              validate a policy (exit 1 on problems)
  warmroute envoy-config --policy FILE   print the Envoy config for a policy
  warmroute mesh-config --policy FILE    print Kubernetes / Istio resources (--help: options)
  warmroute replay --trace FILE --policy FILE [--compare ...] [--live URL]   replay a trace (docs/traces.md)

  --log-format human|json           log lines for people (default on a terminal) or JSON (default when piped)
  --log-requests                    also one line per routed request: model → backend (reason, queue wait)
  The dashboard is at / on the sidecar's admin port (http://127.0.0.1:18091/ by default).
`;

export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (cmd === 'mesh-config') return (await import('./mesh-config.ts')).meshConfig(rest);
  try {
    const { values, positionals } = parseArgs({
      args: rest,
      allowPositionals: true,
      options: { policy: { type: 'string' }, admin: { type: 'string' }, json: { type: 'boolean' }, 'log-format': { type: 'string' }, 'log-requests': { type: 'boolean' } },
    });
    const log = (): Logger => createLogger('sidecar', { format: chooseLogFormat(values['log-format']) });
    switch (cmd) {
      case 'up':
        if (!values.policy) throw new UsageError('up needs --policy FILE');
        await up(loadPolicy(values.policy), values.policy, { log: log(), logRequests: values['log-requests'] });
        return 0;
      case 'sidecar': {
        if (!values.policy) throw new UsageError('sidecar needs --policy FILE');
        const s = await startSidecar({ policy: loadPolicy(values.policy), policyFile: values.policy, log: log(), logRequests: values['log-requests'] });
        await waitForSignal();
        await s.close();
        return 0;
      }
      case 'status':
        return await status(values.admin ?? (values.policy ? adminUrlOf(loadPolicy(values.policy)) : DEFAULT_ADMIN_URL), process.env[ADMIN_TOKEN_ENV], values.json === true);
      case 'check': {
        const file = positionals[0] ?? values.policy;
        if (!file) throw new UsageError('check needs FILE');
        const p = loadPolicy(file);
        console.log(`${file}: OK (${p.backends.length} backends, mode ${p.envoy.mode}, strategy ${p.scheduler.strategy})`);
        if (!isLoopback(p.sidecar.admin_host) && !p.sidecar.admin_token)
          console.log(`note: sidecar.admin_host ${p.sidecar.admin_host} is not loopback: start the sidecar with ${ADMIN_TOKEN_ENV} set (16+ characters), or it refuses to start.`);
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
    if (e instanceof UsageError || (e instanceof TypeError && String((e as { code?: unknown }).code).startsWith('ERR_PARSE_ARGS'))) {
      console.error(`${e.message}\n\n${USAGE}`);
      return 2;
    }
    console.error(e instanceof Error ? e.message : String(e));
    return 1;
  }
}
