// Reads the recorded real-server answers (never copied into the repo) and
// splits them into status, headers and body for shape comparisons in tests.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const FIXTURES_DIR = path.resolve(REPO_ROOT, '../shared/fixtures/real');

export interface RecordedResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export function readFixture(server: string, file: string): RecordedResponse {
  const raw = readFileSync(path.join(FIXTURES_DIR, server, file), 'utf8');
  // Recorded head lines end in CRLF as on the wire; bodies keep the server's own line ends.
  const crlf = raw.indexOf('\r\n\r\n');
  const split = crlf >= 0 ? crlf : raw.indexOf('\n\n');
  const head = raw.slice(0, split).split(/\r?\n/);
  const body = raw.slice(split + (crlf >= 0 ? 4 : 2));
  const status = Number((head[0] ?? '').split(' ')[1]);
  const headers: Record<string, string> = {};
  for (const line of head.slice(1)) {
    const i = line.indexOf(':');
    if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
  }
  return { status, headers, body };
}

export function readFixtureJson(server: string, file: string): { status: number; headers: Record<string, string>; json: unknown } {
  const r = readFixture(server, file);
  return { status: r.status, headers: r.headers, json: JSON.parse(r.body) as unknown };
}

export function readRawFixture(server: string, file: string): string {
  return readFileSync(path.join(FIXTURES_DIR, server, file), 'utf8');
}
