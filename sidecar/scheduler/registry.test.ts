import { describe, expect, it } from 'vitest';
import { Policy } from '../policy/schema.ts';
import { FILTERS, PICKERS, SCORERS } from './registry.ts';
import { STRATEGIES } from './strategies/index.ts';
import { WARM_FIRST_SCORERS } from './strategies/warm-first.ts';

describe('plugin registry', () => {
  it('has one policy weight per scorer, keyed by the scorer name, and no other weight', () => {
    const weights = Policy.parse({ backends: [{ name: 'b', url: 'http://127.0.0.1:1' }] }).scheduler.weights;
    expect(Object.keys(weights).sort()).toEqual([...SCORERS.keys()].sort());
  });

  it('registers every plugin a strategy uses, under its own name', () => {
    for (const s of Object.values(STRATEGIES)) for (const f of s.filters) expect(FILTERS.get(f.name), `${s.name}: ${f.name}`).toBe(f);
    for (const sc of WARM_FIRST_SCORERS) expect(SCORERS.get(sc.name)).toBe(sc);
    expect([...PICKERS.keys()]).toEqual(['max-score']);
  });
});
