// Backend URL → `ip:port` for Envoy's ORIGINAL_DST routing. Resolution happens in the
// prober, off the request path; the ext_proc path only reads the stored address.
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';

/** The OS resolver's first answer (dns.lookup honours /etc/hosts, like curl would); IP literals as they are. */
export async function resolveHost(host: string): Promise<string> {
  if (isIP(host)) return host;
  const { address } = await lookup(host);
  return address;
}

/** Host (without IPv6 brackets) and port (the scheme's default when the URL has none) of a backend URL. */
export function hostAndPort(url: string): { host: string; port: string } {
  const u = new URL(url);
  const host = u.hostname.startsWith('[') && u.hostname.endsWith(']') ? u.hostname.slice(1, -1) : u.hostname;
  return { host, port: u.port || (u.protocol === 'https:' ? '443' : '80') };
}

/** `ip:port`, with IPv6 in brackets as Envoy's original-dst header expects. */
export function formatAddress(ip: string, port: string): string {
  return isIP(ip) === 6 ? `[${ip}]:${port}` : `${ip}:${port}`;
}
