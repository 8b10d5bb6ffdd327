// Test helpers for adapter contract tests: a fake ProbeHttp answering from a route table,
// and the recorded answers of real servers (read in place from the shared fixtures, never copied).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { BackendSpec, type BackendKind } from '../../policy/schema.ts';
import type { ProbeHttp, ProbeResponse } from './types.ts';

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const REAL_FIXTURES = path.resolve(REPO_ROOT, '../shared/fixtures/real');

/** A raw recorded answer (`HTTP/1.1 200 OK`, headers, blank line, body) as the ProbeHttp would return it. */
export function recorded(relativePath: string): ProbeResponse {
  const raw = readFileSync(path.join(REAL_FIXTURES, relativePath), 'utf8');
  const split = /\r?\n\r?\n/.exec(raw);
  const head = split ? raw.slice(0, split.index) : raw;
  const body = split ? raw.slice(split.index + split[0].length) : '';
  const [statusLine = '', ...headerLines] = head.split(/\r?\n/);
  const status = /^HTTP\/[\d.]+ (\d{3})/.exec(statusLine)?.[1];
  if (!status) throw new Error(`${relativePath}: no status line`);
  const headers: Record<string, string> = {};
  for (const line of headerLines) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { status: Number(status), headers, body };
}

export function json(status: number, value: unknown): ProbeResponse {
  return { status, headers: { 'content-type': 'application/json' }, body: JSON.stringify(value) };
}

export function text(status: number, body: string): ProbeResponse {
  return { status, headers: { 'content-type': 'text/plain' }, body };
}

export const NOT_FOUND = json(404, { error: { code: 404, message: 'File Not Found', type: 'not_found_error' } });

export type Route = ProbeResponse | Error | (() => Promise<ProbeResponse>);

/** Answers exact paths (query included) from `routes`, 404 for the rest; `requests` records every path asked. */
export function fakeHttp(routes: Record<string, Route>): ProbeHttp & { requests: string[] } {
  const requests: string[] = [];
  return {
    requests,
    async get(p: string) {
      requests.push(p);
      const route = routes[p];
      if (route === undefined) return NOT_FOUND;
      if (route instanceof Error) throw route;
      if (typeof route === 'function') return route();
      return route;
    },
  };
}

export function specFor(kind: BackendKind, extra: Partial<Record<'models' | 'aliases' | 'url', unknown>> = {}): BackendSpec {
  return BackendSpec.parse({ name: 'b1', kind, url: 'http://127.0.0.1:8080', ...extra });
}
