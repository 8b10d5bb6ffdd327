// Every query of the Grafana dashboard names only metrics the sidecar really
// exports: the names come from the live prom-client registry of
// sidecar/telemetry/metrics.ts, not from a list kept here. Histograms count
// with their _bucket/_sum/_count series, as Prometheus exposes them.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../sidecar/envoy/binary.ts';
import { parsePolicy } from '../sidecar/policy/load.ts';
import { Datastore } from '../sidecar/backends/datastore.ts';
import { Metrics } from '../sidecar/telemetry/metrics.ts';

interface Target {
  expr: string;
}
interface Panel {
  type: string;
  title: string;
  targets?: Target[];
  panels?: Panel[];
}
const dashboard = JSON.parse(readFileSync(join(PROJECT_ROOT, 'deploy/grafana/warmroute.json'), 'utf8')) as {
  panels: Panel[];
  templating: { list: Array<{ type: string; query?: unknown }> };
};

/** Every series name the sidecar's registry exposes. */
function exportedSeries(): Set<string> {
  const policy = parsePolicy('backends: [{ name: a, url: "http://127.0.0.1:1", models: [m] }]\n', 'test');
  const metrics = new Metrics(new Datastore(policy), () => 0);
  const names = new Set<string>();
  for (const m of metrics.registry.getMetricsAsArray()) {
    const { name, type } = m as unknown as { name: string; type: string };
    names.add(name);
    if (String(type) === 'histogram') for (const s of ['_bucket', '_sum', '_count']) names.add(name + s);
  }
  return names;
}

const panels = (ps: Panel[]): Panel[] => ps.flatMap((p) => [p, ...panels(p.panels ?? [])]);
const queries: Array<{ where: string; expr: string }> = [
  ...panels(dashboard.panels).flatMap((p) => (p.targets ?? []).map((t) => ({ where: p.title, expr: t.expr }))),
  ...dashboard.templating.list.filter((v) => v.type === 'query').map((v) => ({ where: 'variable', expr: JSON.stringify(v.query) })),
];
// PromQL identifiers that are series names: words before `{`, `[` or `)` / `,` that start with the project prefix.
const seriesIn = (expr: string) => [...expr.matchAll(/\b([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(?=[{[),])/g)].map((m) => m[1]!).filter((w) => w.startsWith('warmroute_'));

describe('deploy/grafana/warmroute.json', () => {
  const exported = exportedSeries();

  it('reads a non-trivial registry', () => {
    expect(exported.size).toBeGreaterThan(5);
  });

  it('has panels with queries', () => {
    expect(queries.length).toBeGreaterThan(10);
  });

  it.each(queries)('$where: every metric in `$expr` is exported by the sidecar', ({ expr }) => {
    const used = seriesIn(expr);
    expect(used.length, 'the query names a warmroute metric').toBeGreaterThan(0);
    for (const name of used) expect(exported.has(name), name).toBe(true);
    // No other metric families sneak in (e.g. a typo without the prefix).
    const words = [...expr.matchAll(/\b([a-z_][a-z0-9_]*)\s*\{/g)].map((m) => m[1]!);
    for (const w of words) expect(w.startsWith('warmroute_'), w).toBe(true);
  });

  it('has balanced brackets in every query', () => {
    for (const { expr } of queries) {
      let depth = 0;
      for (const c of expr) {
        depth += '({['.includes(c) ? 1 : ')}]'.includes(c) ? -1 : 0;
        expect(depth).toBeGreaterThanOrEqual(0);
      }
      expect(depth, expr).toBe(0);
    }
  });
});
