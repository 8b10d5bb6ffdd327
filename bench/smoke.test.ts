// Smoke run of both benchmarks with tiny iteration counts: they start, run end
// to end and produce well-formed results. No timing assertions: timing claims
// live only in the committed result files under bench/results/.
import { describe, expect, it } from 'vitest';
import { RATIOS, run as runBody, toMarkdown as bodyMarkdown, VARIANTS } from './body-size.ts';
import { PHASES, run as runProbes, toMarkdown as probesMarkdown } from './probe-isolation.ts';

const finite = (x: unknown): boolean => typeof x === 'number' && Number.isFinite(x);
const quiet = (): void => {};

describe('bench smoke', () => {
  it('body-size produces every variant, ratio and parse cost for every size', async () => {
    const sizes = [1024, 100 * 1024];
    const r = await runBody({ iterations: 4, warmup: 1, sizes, write: false, progress: quiet });
    expect(r.benchmark).toBe('body-size');
    expect(r.machine.cores).toBeGreaterThan(0);
    expect(r.sizes.map((s) => s.label)).toEqual(['1 KB', '100 KB']);
    for (const s of r.sizes) {
      expect(s.rounds).toBe(4);
      expect(Object.keys(s.latencyMs).sort()).toEqual([...VARIANTS].sort());
      for (const v of VARIANTS) {
        expect(s.latencyMs[v].n).toBe(4);
        for (const k of ['p50', 'p90', 'p99', 'mean', 'min', 'max'] as const) expect(finite(s.latencyMs[v][k]), `${s.label} ${v} ${k}`).toBe(true);
        if (v !== 'direct') expect(finite(s.addedMs[v].p50) && finite(s.addedMs[v].p90)).toBe(true);
      }
      for (const q of RATIOS) {
        // A ratio can be ±Infinity/NaN only if a denominator is exactly 0 ms: not a well-formed run.
        expect(finite(s.ratios[q.key].p50), `${s.label} ${q.key}`).toBe(true);
        expect(s.ratios[q.key].p50ci90.every(finite)).toBe(true);
      }
      expect(['within', 'over', 'inconclusive']).toContain(s.verdict);
      expect(finite(s.parse.parseRequestUs) && finite(s.parse.jsonParseUs) && finite(s.parse.ratio)).toBe(true);
    }
    expect(bodyMarkdown(r)).toContain('| 100 KB |');
  }, 180_000);

  it('probe-isolation produces both phases and the slow/normal ratios', async () => {
    const r = await runProbes({ iterations: 8, blocks: 1, gapMs: 0, write: false, progress: quiet });
    expect(r.benchmark).toBe('probe-isolation');
    for (const p of PHASES) {
      const x = r.phases[p];
      expect(x.latencyMs.n).toBe(8);
      for (const k of ['p50', 'p90', 'p99', 'mean', 'max'] as const) expect(finite(x.latencyMs[k]), `${p} ${k}`).toBe(true);
      expect(x.statuses).toEqual({ 200: 8 });
      expect(finite(x.startedWithProbeInFlight.anyShare)).toBe(true);
    }
    for (const k of ['p50', 'p90', 'p99'] as const) {
      expect(finite(r.ratio[k].value)).toBe(true);
      expect(r.ratio[k].ci90.every(finite)).toBe(true);
    }
    expect(probesMarkdown(r)).toContain('slow / normal');
  }, 180_000);
});
