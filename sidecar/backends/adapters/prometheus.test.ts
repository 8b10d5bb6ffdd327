import { describe, expect, it } from 'vitest';

import { countOf, parsePrometheus, sumSamples } from './prometheus.ts';

describe('prometheus text', () => {
  it('reads names, labels (with escapes and commas), values and timestamps; skips the unparsable', () => {
    const samples = parsePrometheus(
      [
        '# HELP x y',
        'plain 2',
        'with_ts 3 1700000000000',
        'labelled{a="1",b="x,\\"y\\"}",} 4.5e0',
        'nan_value NaN',
        'broken{a="1" 5',
        'inf +Inf',
        '9bad 1',
        'hex 0x10',
      ].join('\n'),
    );
    expect(samples).toEqual([
      { name: 'plain', labels: {}, value: 2 },
      { name: 'with_ts', labels: {}, value: 3 },
      { name: 'labelled', labels: { a: '1', b: 'x,"y"}' }, value: 4.5 },
      { name: 'inf', labels: {}, value: Infinity },
    ]);
  });

  it('sums only finite, non-negative samples; rounds counts', () => {
    const samples = parsePrometheus('r{e="0"} 1.0\nr{e="1"} 2.4\nr{e="2"} -1\nr{e="3"} +Inf\n');
    expect(sumSamples(samples, 'r')).toBeCloseTo(3.4);
    expect(countOf(samples, 'r')).toBe(3);
    expect(countOf(samples, 'missing')).toBeUndefined();
    expect(countOf(samples, 'r', (l) => l.e === '1')).toBe(2);
  });
});
