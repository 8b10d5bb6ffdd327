import { describe, expect, it } from 'vitest';
import type { Option } from '../framework.ts';
import { cycleFor } from '../testing/cycle.ts';
import { placed, probe, req, setup } from '../testing/fixtures.ts';
import { keepOnlyHomesOpen, takesOnlyHome } from './open-room.ts';

// studio holds up to 3 models; laptop holds 2 and is the only backend serving "only".
const fleet = [
  { name: 'studio', models: ['x', 'y'], max_models: 3 },
  { name: 'laptop', models: ['x', 'y', 'only'], max_models: 2 },
];

describe('open room: keep a model’s only home open', () => {
  it('flags a load into the last free place of the only backend serving another model, and nothing else', () => {
    const { policy, store } = setup(fleet);
    probe(store, 'studio', {}, 0);
    probe(store, 'laptop', { y: 'warm' }, 0);
    const c = cycleFor(policy, store, 1);
    const option = (name: string): Option => {
      const b = c.backend(name)!;
      return { backend: b, state: b.stateOf('x'), fit: b.fitOf('x') };
    };
    expect(takesOnlyHome(option('laptop'), 'x', c)).toBe(true);
    expect(takesOnlyHome(option('studio'), 'x', c)).toBe(false);
    expect(keepOnlyHomesOpen([option('laptop'), option('studio')], 'x', c).map((o) => o.backend.name)).toEqual(['studio']);
    // With no other option, the load still goes there: the rule only chooses among options.
    expect(keepOnlyHomesOpen([option('laptop')], 'x', c).map((o) => o.backend.name)).toEqual(['laptop']);
    // The model whose only home it is may of course take it.
    const onlyOption: Option = { backend: c.backend('laptop')!, state: 'cold', fit: c.backend('laptop')!.fitOf('only') };
    expect(takesOnlyHome(onlyOption, 'only', c)).toBe(false);
  });

  it('leaves the choice alone while the backend has places to spare', () => {
    const { policy, store } = setup(fleet);
    probe(store, 'studio', {}, 0);
    probe(store, 'laptop', {}, 0);
    const c = cycleFor(policy, store, 1);
    const b = c.backend('laptop')!;
    expect(takesOnlyHome({ backend: b, state: 'cold', fit: b.fitOf('x') }, 'x', c)).toBe(false);
  });

  it('makes warm-first load a model where it does not take another model’s only home', () => {
    const { store, sched } = setup(fleet);
    probe(store, 'studio', {}, 0);
    probe(store, 'laptop', { y: 'warm' }, 0);
    expect(placed(sched.submit(req('x', { id: 'r1' }), 1)).get('r1')).toBe('studio');
  });
});
