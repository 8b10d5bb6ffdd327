import { describe, expect, it } from 'vitest';
import { DEFAULT_LOAD_MS, DEFAULT_SERVICE_MS, loadEstimateMs, residualMs, retryAfterSeconds, ServiceTimes, slotFreeTimes, WarmSlotForecast } from './cost.ts';
import { probe, setup } from './testing/fixtures.ts';

describe('service times', () => {
  it('starts from the default and follows an exponentially weighted average, most specific first', () => {
    const s = new ServiceTimes();
    expect(s.estimate('b1', 'a')).toBe(DEFAULT_SERVICE_MS);
    s.observe('b1', 'a', 1000);
    s.observe('b1', 'a', 2000);
    expect(s.estimate('b1', 'a')).toBeCloseTo(1300);
    expect(s.estimate('b2', 'a')).toBeCloseTo(1300); // per model when the backend has no sample
    s.observe('b2', 'b', 5000);
    expect(s.estimate(undefined, 'c')).toBeCloseTo(1300 * 0.7 + 5000 * 0.3); // overall
    s.observe('b1', 'a', -5);
    s.observe('b1', 'a', Number.NaN);
    expect(s.estimate('b1', 'a')).toBeCloseTo(1300);
  });
});

describe('load estimate', () => {
  const learn = (store: ReturnType<typeof setup>['store'], backend: string, model: string, ms: number) => {
    probe(store, backend, { [model]: 'loading' }, 1000);
    probe(store, backend, { [model]: 'warm' }, 1000 + ms);
  };
  const view = (store: ReturnType<typeof setup>['store'], name: string) => store.views().find((v) => v.name === name)!;

  it('uses the load time the datastore learned, else the default', () => {
    const { store } = setup([{ name: 'b1', models: ['a'] }]);
    expect(loadEstimateMs(view(store, 'b1'), 'a', store.views())).toBe(DEFAULT_LOAD_MS);
    learn(store, 'b1', 'a', 6000);
    expect(loadEstimateMs(view(store, 'b1'), 'a', store.views())).toBe(6000);
  });

  it('falls back to the same model on other backends, then to other models on the same backend', () => {
    const { store } = setup([
      { name: 'b1', models: ['a', 'b'] },
      { name: 'b2', models: ['a', 'b'] },
      { name: 'b3', models: ['a', 'b'] },
    ]);
    learn(store, 'b1', 'a', 4000);
    learn(store, 'b2', 'a', 8000);
    learn(store, 'b3', 'b', 3000);
    expect(loadEstimateMs(view(store, 'b3'), 'a', store.views())).toBe(6000);
    expect(loadEstimateMs(view(store, 'b1'), 'b', store.views())).toBe(3000);
    expect(loadEstimateMs(view(store, 'b2'), 'c', store.views())).toBe(8000);
  });

  it('falls back to what the fleet learned for any model before the default, so an unmeasured backend does not look slow', () => {
    const { store } = setup([
      { name: 'b1', models: ['a'] },
      { name: 'b2', models: ['b', 'c'] },
    ]);
    expect(loadEstimateMs(view(store, 'b2'), 'b', store.views())).toBe(DEFAULT_LOAD_MS);
    learn(store, 'b1', 'a', 4000);
    expect(loadEstimateMs(view(store, 'b2'), 'b', store.views())).toBe(4000);
  });
});

describe('residual time', () => {
  it('counts down, then grows with the elapsed time once overdue (heavy tails)', () => {
    expect(residualMs(0, 9000)).toBe(9000);
    expect(residualMs(3000, 9000)).toBe(6000);
    expect(residualMs(6000, 9000)).toBe(3000);
    expect(residualMs(12_000, 9000)).toBe(6000);
  });
});

describe('warm slot forecast', () => {
  it('hands the k-th waiter the k-th slot to free, a taken slot freeing again one service time later', () => {
    const f = new WarmSlotForecast();
    f.add('b1', [3000], 10_000);
    f.add('b2', [1000, 5000], 4000);
    const taken = [f.take(), f.take(), f.take(), f.take()].map((s) => [s!.backend, s!.at]);
    expect(taken).toEqual([
      ['b2', 1000],
      ['b1', 3000],
      ['b2', 5000],
      ['b2', 5000],
    ]);
    expect(f.peek()).toEqual({ backend: 'b2', at: 9000, serviceMs: 4000 });
  });

  it('gives the slots of a full backend in completion order, the first ones going to requests queued in the server', () => {
    expect(slotFreeTimes([5, 1, 3], 3)).toEqual([1, 3, 5]);
    expect(slotFreeTimes([5, 1, 3, 7], 2)).toEqual([5, 7]);
  });
});

describe('Retry-After', () => {
  it('is whole seconds between 1 and 3600', () => {
    expect(retryAfterSeconds(0)).toBe(1);
    expect(retryAfterSeconds(1001)).toBe(2);
    expect(retryAfterSeconds(1e9)).toBe(3600);
    expect(retryAfterSeconds(Infinity)).toBe(3600);
  });
});
