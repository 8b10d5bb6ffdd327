// Free loopback ports for processes that bind later (Envoy, the sidecar, a CLI child).
//
// Why not listen(0) and release: the kernel hands that port out of the ephemeral
// range (32768-60999 on Linux), and until Envoy binds it any outgoing connection on
// the machine (an Envoy upstream, a client, another test) may take it as its source
// port, so Envoy fails with "Address already in use". Ports below the ephemeral
// range are never used as source ports; each test worker gets its own block of them,
// so parallel workers never pick the same one, and a bind check skips any port a
// service of the machine already holds.
import { createServer } from 'node:net';

const FIRST = 20_000;
const LAST = 32_000; // below /proc/sys/net/ipv4/ip_local_port_range's default start (32768)
const BLOCKS = 24;
const BLOCK = Math.floor((LAST - FIRST) / BLOCKS);

function blockIndex(): number {
  // Vitest numbers its workers from 1; a script outside vitest falls back on its pid.
  const worker = Number(process.env.VITEST_POOL_ID ?? process.env.VITEST_WORKER_ID);
  return Number.isInteger(worker) && worker > 0 ? (worker - 1) % BLOCKS : process.pid % BLOCKS;
}

const start = FIRST + blockIndex() * BLOCK;
let next = Math.floor(Math.random() * BLOCK);

function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

/** A loopback port nobody holds now and that no outgoing connection will take before it is bound. */
export async function freePort(): Promise<number> {
  for (let tried = 0; tried < BLOCK; tried++) {
    const port = start + (next++ % BLOCK);
    if (await canBind(port)) return port;
  }
  throw new Error(`no free port in ${start}-${start + BLOCK - 1}`);
}
