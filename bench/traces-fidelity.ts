// How close virtual time is to the real thing: a committed trace replayed in
// virtual time and live (in real time, through a real Envoy and the warmroute
// sidecar, to simulated servers started from the trace's own fleet YAML), per
// strategy, side by side. Writes bench/results/traces.fidelity.{md,json}.
//   npm run bench:traces-fidelity -- [TRACE ...]   (default: agentic; takes about the trace's length per strategy)
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { eventually, startGateway } from '../e2e/harness.ts';
import type { FleetSpec } from '../sim/spec.ts';
import { parseFleet } from '../sim/fleet.ts';
import type { BackendSpec, Strategy } from '../sidecar/policy/schema.ts';
import { readInputs } from '../sidecar/replay/inputs.ts';
import { metricsLoadCounter, replayLive } from '../sidecar/replay/live.ts';
import { reportOf, type RunReport } from '../sidecar/replay/report.ts';
import { replayVirtual } from '../sidecar/replay/virtual.ts';
import { commandLine, loadNow, machineInfo, type MachineInfo, machineLine } from './lib/machine.ts';
import { runIfMain, writeResultFiles } from './lib/results.ts';

const DIR = fileURLToPath(new URL('./traces/', import.meta.url));
const STRATEGIES: Strategy[] = ['warm-first', 'fifo'];

interface Pair {
  trace: string;
  strategy: Strategy;
  virtual: RunReport;
  live: RunReport & { simLoads: number };
}

export interface FidelityResult {
  date: string;
  command: string;
  machine: MachineInfo;
  pairs: Pair[];
}

async function livePair(name: string, strategy: Strategy): Promise<Pair> {
  const base = `${DIR}${name}`;
  const { trace, policy, fleet } = readInputs(`${base}.jsonl`, `${base}.policy.yaml`, `${base}.fleet.yaml`);
  const fleetSpec: FleetSpec = parseFleet(readFileSync(`${base}.fleet.yaml`, 'utf8'));
  const policyBackends = (parse(readFileSync(`${base}.policy.yaml`, 'utf8')) as { backends: BackendSpec[] }).backends;
  const gw = await startGateway({
    // The fleet files name ports for `warmroute sim --fleet`; here each sim takes a free one.
    sims: Object.fromEntries(fleetSpec.backends.map(({ port: _port, ...b }) => [b.name, b])),
    policy: { backends: policyBackends.map((b) => ({ ...b, url: `sim:${b.name}`, probe: { interval_ms: 500 } })), scheduler: { ...policy.scheduler, strategy } },
  });
  try {
    await eventually(() => gw.sidecar!.store.views().every((v) => v.healthy), 30_000, 'backends healthy');
    const virtual = reportOf(replayVirtual(trace, policy, fleet, strategy));
    const live = reportOf(await replayLive(trace, { baseUrl: gw.url, label: strategy, loadCounter: metricsLoadCounter(`http://127.0.0.1:${gw.sidecar!.adminPort}/metrics`) }));
    return { trace: name, strategy, virtual, live: { ...live, simLoads: Object.values(gw.sims).reduce((n, s) => n + s.stats().loads, 0) } };
  } finally {
    await gw.stop();
  }
}

export async function runFidelity(names: string[]): Promise<FidelityResult> {
  const machine = machineInfo();
  const pairs: Pair[] = [];
  for (const name of names) for (const s of STRATEGIES) pairs.push(await livePair(name, s));
  machine.loadavg1mAtEnd = loadNow();
  const base = commandLine('bench:traces-fidelity');
  // Under npm the arguments are not in the command line commandLine() rebuilds.
  const command = base.startsWith('npm run') && process.argv.length > 2 ? `${base} -- ${process.argv.slice(2).join(' ')}` : base;
  return { date: new Date().toISOString(), command, machine, pairs };
}

const sec = (ms: number): string => (ms / 1000).toFixed(2);

export function fidelityMarkdown(r: FidelityResult): string {
  const m = r.machine;
  return [
    '# Trace replay: virtual time vs live',
    '',
    `- Date: ${r.date}`,
    `- Command: \`${r.command}\``,
    machineLine(m, { envoy: true }),
    '- Live: e2e/harness.ts startGateway (real Envoy + the warmroute sidecar, probes every 500 ms) in front of simulated servers started from the trace’s fleet YAML; the trace sent in real time (`replayLive`). Loads: the sidecar’s `warmroute_model_loads_total` and the simulators’ own counters. Virtual: `replayVirtual` on the same trace, policy and fleet.',
    '',
    '| trace | strategy | loads virtual | loads live (sidecar / sims) | failed virtual / live | makespan virtual (s) | live (s) | live ÷ virtual | wait p50 virtual / live (s) | p90 | max |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
    ...r.pairs.map(
      (p) =>
        `| ${p.trace} | ${p.strategy} | ${p.virtual.loads} | ${p.live.loads ?? '?'} / ${p.live.simLoads} | ${p.virtual.failed} / ${p.live.failed} | ${sec(p.virtual.makespanMs)} | ${sec(p.live.makespanMs)} | ${(p.live.makespanMs / p.virtual.makespanMs).toFixed(3)} | ${sec(p.virtual.waitMs.p50)} / ${sec(p.live.waitMs.p50)} | ${sec(p.virtual.waitMs.p90)} / ${sec(p.live.waitMs.p90)} | ${sec(p.virtual.waitMs.max)} / ${sec(p.live.waitMs.max)} |`,
    ),
    '',
  ].join('\n');
}

runIfMain(
  import.meta.url,
  () => runFidelity(process.argv.slice(2).length > 0 ? process.argv.slice(2) : ['agentic']),
  (r) => {
    writeResultFiles('traces.fidelity', r, fidelityMarkdown(r));
    return fidelityMarkdown(r);
  },
);
