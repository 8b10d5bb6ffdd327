import { describe, expect, it } from 'vitest';
import { fleetLines, summarize } from './fleet-summary.ts';
import { table } from './table.ts';
import { Datastore } from '../backends/datastore.ts';
import { Policy } from '../policy/schema.ts';

describe('warmroute up: the first-probes summary', () => {
  it('says which backends answered, what is warm on each, and why one did not answer', () => {
    const store = new Datastore(
      Policy.parse({
        backends: [
          { name: 'studio', kind: 'omlx', url: 'http://10.0.0.1:8000', models: ['big', 'small'] },
          { name: 'laptop', kind: 'ollama', url: 'http://10.0.0.2:11434', models: ['small'] },
        ],
      }),
    );
    store.applyProbe('studio', { ok: true, snapshot: { healthy: true, knowsLoaded: true, loading: false, models: [{ id: 'small', state: 'warm' }] } }, 1);
    store.applyProbe('laptop', { ok: false, error: 'connect ECONNREFUSED 10.0.0.2:11434' }, 1);
    expect(fleetLines(summarize(store))).toEqual([
      'backends: 1 of 2 answered',
      '  ✓ studio (omlx) warm: small · cold: big',
      '  ✗ laptop (ollama) not answering: connect ECONNREFUSED 10.0.0.2:11434',
    ]);
  });

  it('tables pad every column but the last', () => {
    expect(table(['A', 'BB'], [['xyz', '1'], ['q', 'long value']])).toBe('A    BB\nxyz  1\nq    long value');
  });
});
