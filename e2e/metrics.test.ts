// Prometheus metrics on the sidecar's admin port reflect what went through Envoy.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startGateway, type Gateway } from './harness.ts';

let gw: Gateway;
const scrape = async () => (await fetch(`http://127.0.0.1:${gw.sidecar!.adminPort}/metrics`)).text();

describe('metrics', () => {
  beforeAll(async () => {
    gw = await startGateway({
      sims: { a: { kind: 'omlx', models: [{ id: 'm1', sizeGB: 1 }], loadInitMs: 100, loadGBps: 10, defaultMaxTokens: 2 } },
      policy: { backends: [{ name: 'a', kind: 'omlx', url: 'sim:a', models: ['m1'], probe: { interval_ms: 200 } }] },
    });
  });
  afterAll(() => gw.stop());

  it('counts requests, decisions, refusals, loads and probes', async () => {
    const chat = (model: string) =>
      fetch(`${gw.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model, messages: [{ role: 'user', content: 'x' }] }) }).then((r) => r.text());
    await chat('m1'); // cold: loads m1
    await chat('m1'); // warm
    await chat('nope');
    await eventually(async () => (await scrape()).includes('warmroute_model_loads_total{backend="a",model="m1"} 1'), 3000, 'the load to be counted');
    const text = await scrape();
    expect(text).toContain('warmroute_requests_total{model="m1",backend="a",outcome="dispatched"} 2');
    // A name no backend lists is counted under a fixed label: clients cannot create series.
    expect(text).toContain('warmroute_requests_total{model="unknown",backend="",outcome="model_not_found"} 1');
    expect(text).not.toContain('model="nope"');
    expect(text).toMatch(/warmroute_decisions_total\{reason="cold-load",queued="no"\} 1/);
    expect(text).toMatch(/warmroute_decisions_total\{reason="warm",queued="no"\} 1/);
    expect(text).toContain('warmroute_backend_in_flight{backend="a"} 0');
    expect(text).toContain('warmroute_model_warm{backend="a",model="m1"} 1');
    expect(text).toMatch(/warmroute_probe_duration_seconds_count\{backend="a",result="ok"\} [1-9]/);
    expect(text).toMatch(/warmroute_decision_seconds_count [1-9]/);
  });
});
