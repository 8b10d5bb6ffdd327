// Who may read the admin API. On loopback (the default) anyone on the machine
// may, as with Envoy's own admin port; bound anywhere else, a bearer token is
// required, and the sidecar refuses to start without one rather than expose
// its fleet, queue and metrics to the network. /healthz stays open for probes.
import { createHash, timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';
import type { IncomingMessage } from 'node:http';

export const ADMIN_TOKEN_ENV = 'WARMROUTE_ADMIN_TOKEN';
const MIN_TOKEN_CHARS = 16;

/** Paths a load balancer or kubelet probes without credentials. */
export const OPEN_PATHS: ReadonlySet<string> = new Set(['/healthz']);

export class AdminConfigError extends Error {}

export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost' || h === '::1') return true;
  if (h.startsWith('::ffff:')) return isLoopback(h.slice('::ffff:'.length));
  return isIP(h) === 4 && h.startsWith('127.');
}

/**
 * The token the admin API demands, or undefined when it is open (loopback, no
 * token configured). Throws AdminConfigError when bound off loopback without one.
 */
export function resolveAdminToken(sidecar: { admin_host: string; admin_port: number; admin_token?: string }, env: NodeJS.ProcessEnv): string | undefined {
  const token = env[ADMIN_TOKEN_ENV] || sidecar.admin_token;
  if (token !== undefined && token.length < MIN_TOKEN_CHARS) throw new AdminConfigError(`${ADMIN_TOKEN_ENV} must be at least ${MIN_TOKEN_CHARS} characters.`);
  if (token === undefined && !isLoopback(sidecar.admin_host))
    throw new AdminConfigError(
      `sidecar.admin_host is ${sidecar.admin_host}, not loopback: the admin API (dashboard, status, metrics) would be open to the network. ` +
        `Set a bearer token (env ${ADMIN_TOKEN_ENV} or sidecar.admin_token, ${MIN_TOKEN_CHARS}+ characters), or bind admin_host to 127.0.0.1.`,
    );
  return token;
}

/** The credential a request carries: `Authorization: Bearer …`, or `?token=` (a browser opening the dashboard cannot set headers). */
export function presentedToken(req: IncomingMessage, url: URL): string | undefined {
  const auth = req.headers.authorization;
  const bearer = auth && /^Bearer\s+(.+)$/i.exec(auth)?.[1];
  return bearer || url.searchParams.get('token') || undefined;
}

/** Constant-time comparison (digests first so lengths leak nothing). */
export function tokenMatches(presented: string | undefined, expected: string): boolean {
  if (presented === undefined) return false;
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(presented), digest(expected));
}
