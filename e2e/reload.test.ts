// A new policy YAML takes effect without touching Envoy; an invalid one never
// replaces the working policy.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { parse, stringify } from 'yaml';
import { eventually, startGateway, type Gateway } from './harness.ts';

let gw: Gateway;
const served = () => Object.fromEntries(Object.entries(gw.sims).map(([k, s]) => [k, s.stats().requests]));
async function chat(model: string): Promise<number> {
  const r = await fetch(`${gw.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }] }),
  });
  await r.text();
  return r.status;
}
function editPolicy(edit: (p: Record<string, any>) => void): void {
  const p = parse(readFileSync(gw.policyFile!, 'utf8')) as Record<string, any>;
  edit(p);
  writeFileSync(gw.policyFile!, stringify(p));
}

describe('policy hot reload', () => {
  beforeAll(async () => {
    gw = await startGateway({
      sims: { a: { kind: 'openai', models: [{ id: 'm1' }, { id: 'm2' }], defaultMaxTokens: 2 }, b: { kind: 'openai', models: [{ id: 'm2' }], defaultMaxTokens: 2 } },
      policy: { backends: [{ name: 'a', url: 'sim:a', models: ['m1'] }, { name: 'b', url: 'sim:b', models: ['m2'] }] },
      watchPolicy: true,
      probe: false,
    });
  });
  afterAll(() => gw.stop());

  it('applies an edit within a second, without restarting Envoy', async () => {
    const envoyPid = gw.envoy.process.pid;
    expect(await chat('m2')).toBe(200);
    expect(served()).toEqual({ a: 0, b: 1 });
    editPolicy((p) => {
      p.backends[0].models = ['m1', 'm2'];
      p.backends = [p.backends[0]]; // b removed: it drains and stops receiving requests
    });
    await eventually(() => gw.sidecar!.policy().backends.length === 1, 1000, 'the edit to apply');
    expect(await chat('m2')).toBe(200);
    expect(served()).toEqual({ a: 1, b: 1 });
    expect(gw.envoy.process.pid).toBe(envoyPid);
    expect(gw.envoy.process.exitCode).toBeNull();
  });

  it('an invalid edit changes nothing and is reported', async () => {
    const before = gw.sidecar!.policy();
    writeFileSync(gw.policyFile!, readFileSync(gw.policyFile!, 'utf8').replace('backends:', 'backendz:'));
    const r = await gw.sidecar!.reload();
    expect(r.ok).toBe(false);
    expect(gw.sidecar!.policy()).toBe(before);
    expect(await chat('m1')).toBe(200);
    const status = (await (await fetch(`http://127.0.0.1:${gw.sidecar!.adminPort}/status`)).json()) as { reloads: { rejected: number; last: { ok: boolean } } };
    expect(status.reloads.rejected).toBeGreaterThanOrEqual(1);
    expect(status.reloads.last.ok).toBe(false);
  });

  it('refuses an edit that would need a new Envoy config', async () => {
    editPolicy((p) => {
      delete p.backendz;
      p.backends = [{ name: 'a', url: gw.sims.a!.url, models: ['m1', 'm2'] }];
      p.listen.port = 1;
    });
    const r = await gw.sidecar!.reload();
    expect(r).toMatchObject({ ok: false });
    expect(!r.ok && r.error).toContain('listen');
    expect(gw.sidecar!.policy().listen.port).not.toBe(1);
  });
});
