// `warmroute` subcommands: up, sidecar, demo, sim, check, envoy-config.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { parsePolicy, PolicyError } from '../policy/load.ts';
import type { Policy } from '../policy/schema.ts';
import { renderEnvoyConfig } from '../envoy/config.ts';
import { launchEnvoy, type RunningEnvoy } from '../envoy/launch.ts';
import { startSidecar, type Sidecar } from '../app.ts';
import { PROJECT_ROOT } from '../envoy/binary.ts';
import { join } from 'node:path';

const USAGE = `warmroute — warm-first routing for local LLM servers (Envoy + ext_proc sidecar)

  warmroute up --policy FILE        start Envoy and the sidecar together (Ctrl-C stops both)
  warmroute sidecar --policy FILE   run the sidecar alone, for an Envoy you run yourself
  warmroute demo                    simulated backends + up, with a ready-made policy
  warmroute sim --fleet FILE        start simulated backends described in a fleet YAML
  warmroute check FILE              validate a policy (exit 1 on problems)
  warmroute envoy-config --policy FILE   print the Envoy config for a policy
  warmroute mesh-config --policy FILE    print Kubernetes / Istio resources (--help: options)
`;

function loadPolicy(file: string): Policy {
  return parsePolicy(readFileSync(file, 'utf8'), file);
}

function waitForSignal(): Promise<string> {
  return new Promise((resolve) => {
    const on = (s: string) => () => resolve(s);
    process.once('SIGINT', on('SIGINT'));
    process.once('SIGTERM', on('SIGTERM'));
  });
}

async function up(policy: Policy, policyFile: string, banner?: string): Promise<void> {
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

export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (cmd === 'mesh-config') return (await import('./mesh-config.ts')).meshConfig(rest);
  const { values, positionals } = parseArgs({ args: rest, allowPositionals: true, options: { policy: { type: 'string' }, fleet: { type: 'string' } } });
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
      case 'demo':
        return await demo();
      case 'sim': {
        if (!values.fleet) throw new UsageError('sim needs --fleet FILE');
        const { parseFleet, startFleet } = await import('../../sim/index.ts');
        const fleet = await startFleet(parseFleet(readFileSync(values.fleet, 'utf8')));
        for (const s of fleet.sims) console.error(`sim ${s.spec.name ?? ''} (${s.spec.kind}) on ${s.url}: ${s.spec.models.map((m) => m.id).join(', ')}`);
        await waitForSignal();
        await fleet.close();
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

class UsageError extends Error {}

async function demo(): Promise<number> {
  const { parseFleet, startFleet } = await import('../../sim/index.ts');
  const fleetFile = join(PROJECT_ROOT, 'sim', 'fleets', 'demo.yaml');
  const policyFile = join(PROJECT_ROOT, 'policies', 'demo.yaml');
  const fleet = await startFleet(parseFleet(readFileSync(fleetFile, 'utf8')));
  try {
    const policy = loadPolicy(policyFile);
    for (const s of fleet.sims) console.error(`simulated ${s.spec.kind} "${s.spec.name}" on ${s.url}: ${s.spec.models.map((m) => m.id).join(', ')}`);
    const model = policy.backends[0]?.models[0] ?? 'qwen3-coder-30b';
    await up(
      policy,
      policyFile,
      `\nTry a streaming chat completion through Envoy:\n  curl -N http://127.0.0.1:${policy.listen.port}/v1/chat/completions -H 'content-type: application/json' \\\n    -d '{"model":"${model}","stream":true,"messages":[{"role":"user","content":"hello"}]}'\n` +
        `Models and their warm/cold state:  curl http://127.0.0.1:${policy.listen.port}/v1/models\nCtrl-C stops everything.`,
    );
  } finally {
    await fleet.close();
  }
  return 0;
}
