// A policy mounted from a Kubernetes ConfigMap (a directory mount) is updated
// the way kubelet's AtomicWriter does it: a new timestamped directory, a
// `..data_tmp` symlink to it renamed over `..data`; the policy file itself is
// a symlink `policy.yaml -> ..data/policy.yaml` that never changes. The
// watcher must see that swap and apply the new policy.
import { afterEach, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parsePolicy } from './load.ts';
import { watchPolicy, type PolicyWatcher, type ReloadResult } from './reload.ts';
import type { Policy } from './schema.ts';

const policyText = (slots: number) => `backends:\n  - { name: a, kind: openai, url: "http://10.0.0.1:8000", models: [m], slots: ${slots} }\n`;

/** Writes one ConfigMap version the way kubelet's AtomicWriter does. */
function publish(dir: string, version: string, text: string): void {
  const ts = join(dir, `..${version}`);
  mkdirSync(ts);
  writeFileSync(join(ts, 'policy.yaml'), text);
  symlinkSync(`..${version}`, join(dir, '..data_tmp'));
  renameSync(join(dir, '..data_tmp'), join(dir, '..data'));
}

async function until(cond: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('policy watcher on a ConfigMap directory mount', () => {
  let dir: string | undefined;
  let watcher: PolicyWatcher | undefined;
  afterEach(() => {
    watcher?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('applies the new policy when kubelet swaps the ..data symlink', async () => {
    dir = mkdtempSync(join(tmpdir(), 'warmroute-cm-'));
    publish(dir, '2026_11_30_05_00_00.1', policyText(2));
    symlinkSync(join('..data', 'policy.yaml'), join(dir, 'policy.yaml'));
    const file = join(dir, 'policy.yaml');

    let current: Policy = parsePolicy(policyText(2), file);
    const reports: ReloadResult[] = [];
    watcher = watchPolicy(file, () => current, (p) => (current = p), (r) => reports.push(r), 50);
    // The watcher reads the starting text asynchronously; let it settle first.
    await new Promise((r) => setTimeout(r, 200));

    publish(dir, '2026_11_30_05_01_00.2', policyText(7));
    rmSync(join(dir, '..2026_11_30_05_00_00.1'), { recursive: true });

    await until(() => current.backends[0]?.slots === 7, 'the swapped policy to apply');
    expect(reports.filter((r) => r.ok)).toHaveLength(1);
    expect(reports.every((r) => r.ok)).toBe(true);
  });
});
