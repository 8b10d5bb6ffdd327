// Hot reload: a changed policy file (watched, debounced) or SIGHUP is parsed
// and validated; only a valid policy replaces the running one, atomically.
// Sections that Envoy's config is rendered from cannot change without an
// Envoy restart, so a reload that changes them is refused with that reason.
import { readFile } from 'node:fs/promises';
import { watch, type FSWatcher } from 'node:fs';
import { dirname, basename } from 'node:path';
import { parsePolicy, PolicyError } from './load.ts';
import type { Policy } from './schema.ts';

export type ReloadResult = { ok: true; policy: Policy } | { ok: false; error: string };

/** What must stay equal for a policy to apply without touching Envoy. */
export function envoyBoundChanges(before: Policy, after: Policy): string[] {
  const changed: string[] = [];
  const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
  if (!same(before.listen, after.listen)) changed.push('listen');
  if (!same(before.sidecar, after.sidecar)) changed.push('sidecar');
  const { fallback_backend: _fa, ...envA } = before.envoy;
  const { fallback_backend: _fb, ...envB } = after.envoy;
  if (!same(envA, envB)) changed.push('envoy');
  if (before.debug.decision_headers !== after.debug.decision_headers) changed.push('debug.decision_headers');
  // cluster_header mode has one Envoy cluster per backend.
  if (after.envoy.mode === 'cluster_header') {
    const clusters = (p: Policy) => p.backends.map((b) => [b.cluster ?? b.name, b.url]).sort();
    if (!same(clusters(before), clusters(after))) changed.push('backends (clusters in cluster_header mode)');
  }
  return changed;
}

/** Validate `text` as the successor of `current`. Never throws. */
export function validateReload(current: Policy, text: string, source: string): ReloadResult {
  let next: Policy;
  try {
    next = parsePolicy(text, source);
  } catch (e) {
    return { ok: false, error: e instanceof PolicyError ? e.message : String(e) };
  }
  const bound = envoyBoundChanges(current, next);
  if (bound.length) return { ok: false, error: `changes need an Envoy restart (warmroute up again): ${bound.join(', ')}` };
  return { ok: true, policy: next };
}

/**
 * A Kubernetes ConfigMap volume never rewrites the policy file: the file is a
 * symlink through `..data`, and an update writes a new timestamped directory,
 * points `..data_tmp` at it and renames that over `..data`. The watched
 * directory then reports only `..data_tmp` / `..data` / `..<timestamp>`, never
 * the policy's own name, so those entries count as a change too.
 */
function isAtomicWriterEntry(name: string): boolean {
  return name.startsWith('..');
}

export interface PolicyWatcher {
  reload(): Promise<ReloadResult>;
  close(): void;
}

/** Watch `file` (its directory, so editors that replace the file are seen) and SIGHUP. */
export function watchPolicy(file: string, current: () => Policy, apply: (p: Policy) => void, report: (r: ReloadResult) => void, debounceMs = 200): PolicyWatcher {
  let timer: NodeJS.Timeout | undefined;
  let lastText: string | undefined;
  const reload = async (): Promise<ReloadResult> => {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (e) {
      const r: ReloadResult = { ok: false, error: `cannot read ${file}: ${String(e)}` };
      report(r);
      return r;
    }
    if (text === lastText) return { ok: true, policy: current() };
    lastText = text;
    const r = validateReload(current(), text, file);
    if (r.ok) apply(r.policy);
    report(r);
    return r;
  };
  const schedule = () => {
    clearTimeout(timer);
    timer = setTimeout(() => void reload(), debounceMs);
  };
  let watcher: FSWatcher | undefined;
  try {
    watcher = watch(dirname(file), (_ev, name) => {
      if (name === null || name === basename(file) || isAtomicWriterEntry(name)) schedule();
    });
  } catch {
    watcher = undefined; // no watching available: SIGHUP still works
  }
  const onHup = () => void reload();
  process.on('SIGHUP', onHup);
  void readFile(file, 'utf8').then((t) => (lastText ??= t), () => {});
  return {
    reload,
    close() {
      clearTimeout(timer);
      watcher?.close();
      process.off('SIGHUP', onHup);
    },
  };
}
