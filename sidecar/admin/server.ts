// The sidecar's admin HTTP server: a path → handler table (the dashboard at
// /, its live feed /events, status, metrics, healthz), read-only. Separate
// from the ext_proc gRPC server; loopback by default, a bearer token when
// bound elsewhere (auth.ts).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Metrics } from '../telemetry/metrics.ts';
import { statusJson, statusSnapshot, type StatusSources } from './status.ts';
import { LiveStatus } from './live.ts';
import { loadDashboardPage, type DashboardPage } from './dashboard-page.ts';
import { OPEN_PATHS, presentedToken, tokenMatches } from './auth.ts';

export interface AdminSources extends StatusSources {
  metrics: Metrics;
}

export interface AdminServer {
  port: number;
  close(): Promise<void>;
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

export function adminRoutes(s: AdminSources, live: LiveStatus, page: DashboardPage): Map<string, Handler> {
  return new Map<string, Handler>([
    ['/', (_req, res) => res.writeHead(200, page.headers).end(page.html)],
    ['/events', (req, res) => live.attach(req, res)],
    ['/status', (_req, res) => sendJson(res, 200, statusJson(s))],
    [
      '/metrics',
      (_req, res) => {
        void s.metrics.registry.metrics().then((text) => res.writeHead(200, { 'content-type': s.metrics.registry.contentType }).end(text));
      },
    ],
    ['/healthz', (_req, res) => res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n')],
  ]);
}

export interface AdminListen {
  host: string;
  port: number;
  /** Bearer token every path but /healthz demands (see auth.ts); undefined = open. */
  token: string | undefined;
}

export async function startAdminServer(s: AdminSources, { host, port, token }: AdminListen): Promise<AdminServer> {
  const live = new LiveStatus(() => statusSnapshot(s));
  const routes = adminRoutes(s, live, loadDashboardPage());
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://admin');
    const path = url.pathname;
    if (token !== undefined && !OPEN_PATHS.has(path) && !tokenMatches(presentedToken(req, url), token))
      return sendJson(res, 401, { error: { message: 'The admin API needs a bearer token (Authorization: Bearer <token>).', type: 'authentication_error', code: 'unauthorized' } }, { 'www-authenticate': 'Bearer' });
    const handler = routes.get(path);
    if (handler && req.method !== 'GET' && req.method !== 'HEAD')
      return sendJson(res, 405, { error: { message: `${path} takes GET.`, type: 'invalid_request_error', code: 'method_not_allowed' } }, { allow: 'GET, HEAD' });
    if (handler) return handler(req, res);
    sendJson(res, 404, { error: { message: 'not found', type: 'invalid_request_error', code: 'not_found' } });
  });
  const bound = await listen(server, host, port);
  return {
    port: bound,
    async close() {
      live.close();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
}

function listen(server: Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      const a = server.address();
      resolve(typeof a === 'object' && a ? a.port : port);
    });
  });
}
