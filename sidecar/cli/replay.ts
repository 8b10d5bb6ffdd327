// `warmroute replay`: a trace against a policy, in virtual time (default,
// every --compare strategy side by side with the trace's lower bound) or live
// against a running gateway / backend / proxy (--live URL).
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { Strategy } from '../policy/schema.ts';
import { readInputs, readTrace } from '../replay/inputs.ts';
import { metricsLoadCounter, replayLive } from '../replay/live.ts';
import { defaultWaitBoundMs, lowerBound } from '../replay/lower-bound.ts';
import { reportOf } from '../replay/report.ts';
import { fleetInfo, renderSummary, traceInfo, type ReplaySummary } from '../replay/summary.ts';
import { replayVirtual } from '../replay/virtual.ts';

export const REPLAY_USAGE = `warmroute replay --trace FILE --policy FILE [--fleet FILE] [--compare fifo,least-connections,...] [--json OUT]
warmroute replay --trace FILE --live URL [--metrics URL] [--policy FILE --fleet FILE] [--json OUT]

  Virtual time (default): the policy's scheduler, and each --compare strategy, against the simulated
  fleet (--fleet: a sim fleet YAML; default: the policy's backends with their kind's defaults).
  Live: sends the trace in real time to URL (a warmroute gateway, one server, or any OpenAI-compatible
  proxy; a path prefix such as /olla/proxy is kept). --metrics: a warmroute admin /metrics URL to count
  model loads. With --policy/--fleet in live mode, the lower bound is computed for that fleet.
  Trace format: docs/traces.md.
`;

export class ReplayUsageError extends Error {}

function strategies(policyStrategy: Strategy, compare: string | undefined): Strategy[] {
  const out: Strategy[] = [policyStrategy];
  for (const name of (compare ?? '').split(',').map((s) => s.trim()).filter(Boolean)) {
    const s = Strategy.safeParse(name);
    if (!s.success) throw new ReplayUsageError(`--compare: unknown strategy "${name}" (one of ${Strategy.options.join(', ')})`);
    if (!out.includes(s.data)) out.push(s.data);
  }
  return out;
}

export async function replayCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { trace: { type: 'string' }, policy: { type: 'string' }, fleet: { type: 'string' }, compare: { type: 'string' }, live: { type: 'string' }, metrics: { type: 'string' }, json: { type: 'string' } },
  });
  if (!values.trace) throw new ReplayUsageError('replay needs --trace FILE');
  let summary: ReplaySummary;
  if (values.live) {
    const trace = readTrace(values.trace);
    const inputs = values.policy ? readInputs(values.trace, values.policy, values.fleet) : undefined;
    const run = await replayLive(trace, { baseUrl: values.live, label: 'live', ...(values.metrics ? { loadCounter: metricsLoadCounter(values.metrics) } : {}) });
    summary = { trace: traceInfo(trace), mode: 'live', target: values.live, ...(inputs ? { lowerBound: lowerBound(trace, inputs.fleet) } : {}), runs: [reportOf(run)] };
  } else {
    if (!values.policy) throw new ReplayUsageError('replay needs --policy FILE (or --live URL)');
    const { trace, policy, fleet } = readInputs(values.trace, values.policy, values.fleet);
    const runs = strategies(policy.scheduler.strategy, values.compare).map((s) => reportOf(replayVirtual(trace, policy, fleet, s)));
    summary = { trace: traceInfo(trace), mode: 'virtual', fleet: fleetInfo(fleet), lowerBound: lowerBound(trace, fleet, defaultWaitBoundMs(policy.scheduler.aging_ms, fleet)), runs };
  }
  process.stdout.write(renderSummary(summary));
  if (values.json) writeFileSync(values.json, JSON.stringify(summary, null, 2) + '\n');
  return 0;
}

/** The command's entry from cli/main.ts (before its own option parsing): exit 2 on usage errors, 1 on bad input. */
export async function runReplay(args: string[]): Promise<number> {
  try {
    return await replayCommand(args);
  } catch (e) {
    const usage = e instanceof ReplayUsageError || (e instanceof TypeError && 'code' in e && String(e.code).startsWith('ERR_PARSE_ARGS'));
    console.error(usage ? `${(e as Error).message}\n\n${REPLAY_USAGE}` : e instanceof Error ? e.message : String(e));
    return usage ? 2 : 1;
  }
}
