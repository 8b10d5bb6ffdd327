// `warmroute status`: the sidecar's backends, models and queue as tables,
// read from its admin API (GET /status).
import type { Policy } from '../policy/schema.ts';
import { ADMIN_TOKEN_ENV } from '../admin/auth.ts';
import { StatusDocument } from '../admin/status-schema.ts';
import { ago, duration, table } from './table.ts';

export const DEFAULT_ADMIN_URL = 'http://127.0.0.1:18091';

/** The admin URL a policy's sidecar serves (0.0.0.0 and :: are reached on loopback). */
export function adminUrlOf(policy: Policy): string {
  const host = policy.sidecar.admin_host;
  const reach = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '[::1]' : host.includes(':') ? `[${host}]` : host;
  return `http://${reach}:${policy.sidecar.admin_port}`;
}

export async function fetchStatus(adminUrl: string, token: string | undefined = process.env[ADMIN_TOKEN_ENV]): Promise<StatusDocument> {
  const url = new URL('/status', adminUrl);
  let res: Response;
  try {
    res = await fetch(url, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  } catch (e) {
    throw new Error(`cannot reach the sidecar's admin API at ${url.origin}: ${e instanceof Error && e.cause ? String(e.cause) : String(e)}`);
  }
  if (res.status === 401) throw new Error(`${url.origin} wants a bearer token: set ${ADMIN_TOKEN_ENV}`);
  if (!res.ok) throw new Error(`${url} answered ${res.status}`);
  return StatusDocument.parse(await res.json());
}

export function renderStatus(s: StatusDocument): string {
  const backends = table(
    ['BACKEND', 'KIND', 'HEALTH', 'SLOTS USED', 'PROBED', 'PROBLEM'],
    s.backends.map((b) => [
      b.name,
      b.kind ?? '',
      b.healthy ? 'up' : 'DOWN',
      `${b.inFlight + b.externalInFlight}/${b.slots} (${b.inFlight} ours, ${b.externalInFlight} other)`,
      ago(b.lastProbeAt, s.now),
      b.healthy ? (b.probe?.ok === false ? `probe: ${b.probe.lastError ?? 'failed'}` : '') : (b.failure ?? 'unhealthy'),
    ]),
  );
  const models = table(
    ['BACKEND', 'MODEL', 'STATE', 'LOAD TIME', 'LAST USE', 'RUNNING'],
    s.backends.flatMap((b) =>
      Object.entries(b.modelInfo)
        .sort(([x], [y]) => x.localeCompare(y))
        .map(([name, m]) => [
          b.name,
          name,
          m.state === 'loading' && m.loadStartedAt !== undefined ? `loading (${duration(s.now - m.loadStartedAt)})` : m.state,
          duration(m.loadMs),
          ago(m.lastUsedAt, s.now),
          String(m.inFlight),
        ]),
    ),
  );
  const queue = s.queue.length
    ? table(
        ['#', 'REQUEST', 'MODEL', 'PRIORITY', 'AGE', 'WHY IT WAITS'],
        s.queue.map((q) => [String(q.position + 1), q.id, q.model, String(q.priority), duration(q.ageMs) + (q.starving ? ' (starving)' : ''), q.waitingReason ?? 'not yet considered']),
      )
    : 'nothing waiting';
  return [
    `strategy ${s.strategy} · ${s.queued} queued · ${s.running} running`,
    '',
    backends,
    '',
    models,
    '',
    `QUEUE (dispatch order)`,
    queue,
    '',
  ].join('\n');
}

export async function status(adminUrl: string, token: string | undefined, json: boolean): Promise<number> {
  const doc = await fetchStatus(adminUrl, token);
  process.stdout.write(json ? JSON.stringify(doc, null, 2) + '\n' : renderStatus(doc));
  return 0;
}
