// The simulator's own entry point (bundled apart from the product, as
// llama-swap keeps its fake servers in cmd/): `warmroute sim` and
// `warmroute demo`, and `warmroute replay` (virtual time runs the simulator's
// load/slot model). bin/warmroute.mjs sends those commands here.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { parseFleet, startFleet } from './index.ts';
import { PROJECT_ROOT } from '../sidecar/envoy/binary.ts';
import { PolicyError } from '../sidecar/policy/load.ts';
import { loadPolicy, waitForSignal } from '../sidecar/cli/shared.ts';
import { up } from '../sidecar/cli/up.ts';
import { chooseLogFormat, createLogger, type LogFormat } from '../sidecar/log.ts';


export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (cmd === 'replay') return (await import('../sidecar/cli/replay.ts')).runReplay(rest);
  try {
    const { values } = parseArgs({ args: rest, options: { fleet: { type: 'string' }, 'log-format': { type: 'string' } } });
    if (cmd === 'demo') return await demo(chooseLogFormat(values['log-format']));
    if (cmd === 'sim' && values.fleet) return await sim(values.fleet);
    console.error('usage: warmroute sim --fleet FILE | warmroute demo [--log-format human|json]');
    return 2;
  } catch (e) {
    console.error(e instanceof PolicyError || e instanceof Error ? e.message : String(e));
    return 1;
  }
}

async function sim(fleetFile: string): Promise<number> {
  const fleet = await startFleet(parseFleet(readFileSync(fleetFile, 'utf8')));
  for (const s of fleet.sims) console.error(`sim ${s.spec.name ?? ''} (${s.spec.kind}) on ${s.url}: ${s.spec.models.map((m) => m.id).join(', ')}`);
  await waitForSignal();
  await fleet.close();
  return 0;
}

async function demo(logFormat: LogFormat): Promise<number> {
  const fleetFile = join(PROJECT_ROOT, 'sim', 'fleets', 'demo.yaml');
  const policyFile = join(PROJECT_ROOT, 'policies', 'demo.yaml');
  const fleet = await startFleet(parseFleet(readFileSync(fleetFile, 'utf8')));
  try {
    const policy = loadPolicy(policyFile);
    for (const s of fleet.sims) console.error(`simulated ${s.spec.kind} "${s.spec.name}" on ${s.url}: ${s.spec.models.map((m) => m.id).join(', ')}`);
    const model = policy.backends[0]?.models[0] ?? 'qwen3-coder-30b';
    await up(policy, policyFile, {
      log: createLogger('sidecar', { format: logFormat }),
      logRequests: true, // the demo is for watching: one line per routed request
      banner:
        `\nTry a streaming chat completion through Envoy:\n  curl -N http://127.0.0.1:${policy.listen.port}/v1/chat/completions -H 'content-type: application/json' \\\n    -d '{"model":"${model}","stream":true,"messages":[{"role":"user","content":"hello"}]}'\n` +
        `Models and their warm/cold state:  curl http://127.0.0.1:${policy.listen.port}/v1/models\nCtrl-C stops everything.`,
    });
  } finally {
    await fleet.close();
  }
  return 0;
}
