// The dashboard as one self-contained HTML document: index.html with its
// stylesheet and script inlined (one request, no CDN, works behind the admin
// token), and a Content-Security-Policy that allows exactly those two by hash
// and connections back to this server only. Read from disk once, at start.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../util/project-root.ts';

export interface DashboardPage {
  html: string;
  headers: Record<string, string>;
}

const DIR = join(PROJECT_ROOT, 'sidecar', 'admin', 'dashboard');
const sha = (text: string): string => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;

export function loadDashboardPage(dir = DIR): DashboardPage {
  const style = readFileSync(join(dir, 'dashboard.css'), 'utf8');
  const script = readFileSync(join(dir, 'dashboard.js'), 'utf8');
  const html = readFileSync(join(dir, 'index.html'), 'utf8')
    .replace('/*STYLE*/', () => style)
    .replace('/*SCRIPT*/', () => script);
  const csp = `default-src 'none'; script-src ${sha(script)}; style-src ${sha(style)}; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`;
  return {
    html,
    headers: { 'content-type': 'text/html; charset=utf-8', 'content-security-policy': csp, 'x-content-type-options': 'nosniff', 'cache-control': 'no-store' },
  };
}
