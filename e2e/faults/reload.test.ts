// Policy reloads under traffic, through a real Envoy: a model moved to another
// backend goes there from the next request on (although it is still warm on
// the old one), a removed backend drains (its running streams finish in full),
// an invalid edit keeps the old policy, and no request is dropped.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { parse, stringify } from 'yaml';
import { eventually, startGateway, type Gateway } from '../harness.ts';
import { startTraffic, streamChat, type Outcome } from './traffic.ts';

let gw: Gateway;
const fast = { slots: 4, ttftMs: 5, tokensPerSec: 400, loadInitMs: 50, defaultMaxTokens: 8 } as const;

type PolicyDoc = { backends: Array<{ name: string; url: string; models: string[] }> } & Record<string, unknown>;
function editPolicy(edit: (p: PolicyDoc) => void): void {
  const p = parse(readFileSync(gw.policyFile!, 'utf8')) as PolicyDoc;
  edit(p);
  writeFileSync(gw.policyFile!, stringify(p));
}
const backendModels = (name: string) => gw.sidecar!.policy().backends.find((b) => b.name === name)?.models;

describe('policy reload under traffic', () => {
  beforeAll(async () => {
    gw = await startGateway({
      sims: {
        a: { kind: 'openai', models: [{ id: 'm1', loaded: true }, { id: 'm2', loaded: true }], ...fast },
        b: { kind: 'openai', models: [{ id: 'm1' }, { id: 'm2', loaded: true }, { id: 'm3' }], ...fast },
        c: { kind: 'openai', models: [{ id: 'm3', loaded: true }], ...fast },
      },
      policy: {
        backends: [
          { name: 'a', url: 'sim:a', models: ['m1', 'm2'], probe: { interval_ms: 200 } },
          { name: 'b', url: 'sim:b', models: ['m2'], probe: { interval_ms: 200 } },
          { name: 'c', url: 'sim:c', models: ['m3'], probe: { interval_ms: 200 } },
        ],
        debug: { decision_headers: true },
      },
      watchPolicy: true,
    });
    // Every backend probed once, so warm-first knows m1 is warm on a.
    await eventually(() => gw.sidecar!.store.views().every((v) => v.models.size > 0 && gw.sidecar!.store.status(v.name)?.lastProbeAt !== undefined), 10_000, 'first probes');
  });
  afterAll(() => gw?.stop());

  it('moves a model, drains a removed backend, rejects an invalid edit; every request completes', { timeout: 90_000 }, async () => {
    const models: readonly string[] = ['m1', 'm2', 'm3'];
    const traffic = startTraffic(gw, 6, () => models);
    await eventually(() => traffic.outcomes.filter((o) => o.model === 'm1').length >= 10, 20_000, 'traffic before the edits');
    expect(traffic.outcomes.filter((o) => o.model === 'm1').map((o) => o.backend)).toContain('a');

    // 1. Move m1 from a (where it is warm) to b (where it is cold).
    editPolicy((p) => {
      p.backends[0]!.models = ['m2'];
      p.backends[1]!.models = ['m1', 'm2'];
    });
    await eventually(() => backendModels('b')?.includes('m1') === true, 10_000, 'the move to apply');
    const movedAt = Date.now();
    await eventually(() => traffic.outcomes.filter((o) => o.model === 'm1' && o.sentAt > movedAt).length >= 10, 20_000, 'm1 traffic after the move');
    const m1After = traffic.outcomes.filter((o) => o.model === 'm1' && o.sentAt > movedAt);
    expect(new Set(m1After.map((o) => o.backend)), 'm1 requests sent after the move').toEqual(new Set(['b']));

    // 2. Remove c while long streams run there; m3 moves to b.
    const long = Array.from({ length: 3 }, () => streamChat(gw, 'm3', 200));
    await eventually(() => gw.sims.c!.stats().active === 3, 10_000, 'three long streams running on c');
    editPolicy((p) => {
      p.backends = p.backends.filter((b) => b.name !== 'c');
      p.backends[1]!.models = ['m1', 'm2', 'm3'];
    });
    await eventually(() => backendModels('c') === undefined, 10_000, 'c to be removed');
    const removedAt = Date.now();
    const drained = await Promise.all(long);
    for (const o of drained) expect(o, 'a stream on the removed backend finishes in full').toMatchObject({ status: 200, complete: true, tokens: 200, backend: 'c' });
    await eventually(() => traffic.outcomes.filter((o) => o.model === 'm3' && o.sentAt > removedAt).length >= 5, 20_000, 'm3 traffic after the removal');
    expect(new Set(traffic.outcomes.filter((o) => o.model === 'm3' && o.sentAt > removedAt).map((o) => o.backend))).toEqual(new Set(['b']));

    // 3. An invalid edit: rejected, the running policy stays, traffic goes on.
    const before = gw.sidecar!.policy();
    writeFileSync(gw.policyFile!, readFileSync(gw.policyFile!, 'utf8').replace('backends:', 'backendz:'));
    const r = await gw.sidecar!.reload();
    expect(r.ok).toBe(false);
    expect(gw.sidecar!.policy()).toBe(before);
    const rejectedAt = Date.now();
    await eventually(() => traffic.outcomes.filter((o) => o.sentAt > rejectedAt).length >= 10, 20_000, 'traffic after the invalid edit');

    const all: Outcome[] = await traffic.stop();
    const failed = all.filter((o) => !o.complete);
    expect(failed, 'every request completed').toEqual([]);
    expect(all.length).toBeGreaterThan(40);

    // Nothing left behind: queue, in-flight accounting (incl. the removed backend's), the sims' slots.
    await eventually(() => gw.sidecar!.control.queued() === 0 && gw.sidecar!.control.running() === 0 && gw.sidecar!.store.totalInFlight() === 0, 10_000, 'sidecar to be idle');
    expect(gw.sidecar!.store.releaseUnderflows).toBe(0);
    for (const sim of Object.values(gw.sims)) expect(sim.stats()).toMatchObject({ active: 0, queued: 0 });
  });
});
