// A replay's whole result (what --json writes) and its plain-text rendering.
import type { ServerModel } from './fleet-model.ts';
import type { LowerBound } from './lower-bound.ts';
import type { RunReport } from './report.ts';
import type { Trace } from './trace.ts';

export interface ReplaySummary {
  trace: { name: string; description: string; requests: number; byArrival: number; byDependency: number };
  mode: 'virtual' | 'live';
  /** Live target URL. */
  target?: string;
  /** Fleet the virtual replay simulated (backend: kind, model limit, slots). */
  fleet?: string[];
  lowerBound?: LowerBound;
  runs: RunReport[];
}

export function traceInfo(trace: Trace): ReplaySummary['trace'] {
  const byArrival = trace.requests.filter((r) => r.at_ms !== undefined).length;
  return { name: trace.name, description: trace.description, requests: trace.requests.length, byArrival, byDependency: trace.requests.length - byArrival };
}

export function fleetInfo(fleet: readonly ServerModel[]): string[] {
  return fleet.map((s) => `${s.name} (${s.kind}, ${Number.isFinite(s.maxLoaded) ? `${s.maxLoaded} model${s.maxLoaded === 1 ? '' : 's'} at once` : 'all models at once'}, ${s.slots} slots${s.slotScope === 'model' ? ' per model' : ''})`);
}

export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
}

function ratio(x: number | null, bound: number | undefined): string {
  if (x === null || bound === undefined || bound <= 0) return '';
  return ` (${(x / bound).toFixed(2)}×)`;
}

function pad(cells: string[], widths: number[]): string {
  return cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
}

function table(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]?.length ?? 0)));
  return rows.map((r) => pad(r, widths));
}

export function renderSummary(s: ReplaySummary): string {
  const out: string[] = [];
  out.push(`trace ${s.trace.name}: ${s.trace.requests} requests (${s.trace.byArrival} by arrival time, ${s.trace.byDependency} after others)`);
  if (s.trace.description) out.push(`  ${s.trace.description}`);
  out.push(s.mode === 'virtual' ? `virtual time on ${s.fleet?.join(', ') ?? 'the policy’s backends'}` : `live against ${s.target ?? '?'}`);
  const lb = s.lowerBound;
  if (lb)
    out.push(
      `lower bound: ${lb.loads} loads; makespan ${seconds(lb.makespanMs)} (critical path ${seconds(lb.criticalPathMs)}, work / slots ${seconds(lb.workMs)}${lb.turnsMs > 0 ? `, turns on one-model boxes ${seconds(lb.turnsMs)}` : ''})${lb.unservable ? `; ${lb.unservable} requests no backend serves` : ''}`,
    );
  if (lb?.withinWait) out.push(`  ${lb.withinWait.loads} loads for any schedule in which no request waits more than ${seconds(lb.withinWait.waitBoundMs)} (the aging bound plus the longest load)`);
  out.push('');
  const rows = [['', 'loads', 'failed', 'wait p50', 'p90', 'max', 'queued max', 'makespan', 'replay took']];
  for (const r of s.runs) {
    const speed = s.mode === 'virtual' && r.wallMs > 0 ? ` (${Math.round(r.makespanMs / r.wallMs)}× real time)` : '';
    rows.push([
      r.label,
      r.loads === null ? 'unknown' : `${r.loads}${ratio(r.loads, lb?.loads)}`,
      r.failed === 0 ? '0' : `${r.failed} (${Object.entries(r.failures).map(([c, n]) => `${c}: ${n}`).join(', ')})`,
      seconds(r.waitMs.p50),
      seconds(r.waitMs.p90),
      seconds(r.waitMs.max),
      r.queueMs ? seconds(r.queueMs.max) : '–',
      `${seconds(r.makespanMs)}${ratio(r.makespanMs, lb?.makespanMs)}`,
      `${r.wallMs} ms${speed}`,
    ]);
  }
  out.push(...table(rows));
  out.push('', 'per model (requests, loads, wait p50 / p90 / max):');
  for (const r of s.runs) {
    out.push(`  ${r.label}`);
    for (const [m, f] of Object.entries(r.models))
      out.push(`    ${m}: ${f.requests} requests${f.failed ? `, ${f.failed} failed` : ''}, ${f.loads ?? 'unknown'} loads, wait ${seconds(f.waitMs.p50)} / ${seconds(f.waitMs.p90)} / ${seconds(f.waitMs.max)}`);
    const served = Object.entries(r.backends);
    if (served.length > 0) out.push(`    by backend: ${served.map(([b, n]) => `${b} ${n}`).join(', ')}`);
  }
  return out.join('\n') + '\n';
}
