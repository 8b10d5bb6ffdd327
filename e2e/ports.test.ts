import { createServer } from 'node:net';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { freePort } from './ports.ts';

describe('freePort', () => {
  it('hands out distinct bindable ports below the kernel\'s ephemeral range', async () => {
    const ports: number[] = [];
    for (let i = 0; i < 50; i++) ports.push(await freePort());
    expect(new Set(ports).size).toBe(50);
    let ephemeralStart = 32768;
    try {
      ephemeralStart = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    } catch {
      // not Linux: the default start
    }
    for (const p of ports) expect(p).toBeLessThan(ephemeralStart);
    const s = createServer();
    await new Promise<void>((r, j) => { s.once('error', j); s.listen(ports[0], '127.0.0.1', () => r()); });
    await new Promise((r) => s.close(r));
  });

  it('skips a port someone holds', async () => {
    const first = await freePort();
    const holders = [];
    // Hold the next few ports of this worker's block; the allocator must step over them.
    for (let p = first + 1; p <= first + 5; p++) {
      const s = createServer();
      const ok = await new Promise<boolean>((r) => { s.once('error', () => r(false)); s.listen(p, '127.0.0.1', () => r(true)); });
      if (ok) holders.push({ s, p });
    }
    const got = await freePort();
    expect(holders.map((h) => h.p)).not.toContain(got);
    for (const h of holders) await new Promise((r) => h.s.close(r));
  });
});
