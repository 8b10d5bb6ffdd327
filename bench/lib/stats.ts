// Order statistics and a paired bootstrap for latency samples (milliseconds).
import { seededRandom } from '../../sidecar/util/seeded-random.ts';

/** Linear-interpolated quantile (q in [0,1]) of unsorted samples. */
export function quantile(samples: readonly number[], q: number): number {
  if (samples.length === 0) return NaN;
  const s = [...samples].sort((a, b) => a - b);
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return s[lo]! + (s[hi]! - s[lo]!) * (pos - lo);
}

export interface Summary {
  n: number;
  p50: number;
  p90: number;
  p99: number;
  mean: number;
  min: number;
  max: number;
}

export function summarize(samples: readonly number[]): Summary {
  const mean = samples.reduce((a, b) => a + b, 0) / samples.length;
  return {
    n: samples.length,
    p50: quantile(samples, 0.5),
    p90: quantile(samples, 0.9),
    p99: quantile(samples, 0.99),
    mean,
    min: Math.min(...samples),
    max: Math.max(...samples),
  };
}

/** Seeded uniform [0,1) so a run's confidence intervals are reproducible from its samples. */
export const seeded = seededRandom;

/**
 * Percentile bootstrap of a statistic over paired rounds: each resample draws
 * whole rounds (one sample of every variant, taken back to back), so drift of
 * the machine during the run moves all variants together.
 */
export function pairedBootstrap<K extends string>(
  rounds: ReadonlyArray<Record<K, number>>,
  stat: (cols: Record<K, number[]>) => number,
  opts: { resamples?: number; level?: number; seed?: number } = {},
): { lo: number; hi: number } {
  const resamples = opts.resamples ?? 2000;
  const level = opts.level ?? 0.9;
  const rand = seeded(opts.seed ?? 12345);
  const keys = Object.keys(rounds[0] ?? {}) as K[];
  const out: number[] = [];
  for (let r = 0; r < resamples; r++) {
    const cols = Object.fromEntries(keys.map((k) => [k, [] as number[]])) as Record<K, number[]>;
    for (let i = 0; i < rounds.length; i++) {
      const row = rounds[Math.floor(rand() * rounds.length)]!;
      for (const k of keys) cols[k].push(row[k]);
    }
    const v = stat(cols);
    if (Number.isFinite(v)) out.push(v);
  }
  const a = (1 - level) / 2;
  return { lo: quantile(out, a), hi: quantile(out, 1 - a) };
}

export const round = (x: number, digits = 2): number => (Number.isFinite(x) ? Number(x.toFixed(digits)) : x);

/** Percentile bootstrap of stat(b) / stat(a) for two independent samples. */
export function ratioBootstrap(
  a: readonly number[],
  b: readonly number[],
  stat: (xs: number[]) => number,
  opts: { resamples?: number; level?: number; seed?: number } = {},
): { lo: number; hi: number } {
  const resamples = opts.resamples ?? 2000;
  const level = opts.level ?? 0.9;
  const rand = seeded(opts.seed ?? 4242);
  const draw = (xs: readonly number[]): number[] => Array.from({ length: xs.length }, () => xs[Math.floor(rand() * xs.length)]!);
  const out: number[] = [];
  for (let r = 0; r < resamples; r++) {
    const v = stat(draw(b)) / stat(draw(a));
    if (Number.isFinite(v)) out.push(v);
  }
  const q = (1 - level) / 2;
  return { lo: quantile(out, q), hi: quantile(out, 1 - q) };
}

/** Fisher–Yates shuffle into a new array. */
export function shuffled<T>(xs: readonly T[], rand: () => number): T[] {
  const out = [...xs];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}
