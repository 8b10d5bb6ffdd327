// Rendezvous (highest-random-weight) hashing: every replica computes the same
// weight for (key, backend) without talking to the others, and removing a
// backend only moves the keys that were on it.

/** 32-bit FNV-1a over UTF-16 code units, finished with murmur3's avalanche so nearby keys spread. */
function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Weight of `backend` for `key`; the highest weight wins. */
export function rendezvousWeight(key: string, backend: string): number {
  return hash32(`${key}\u0000${backend}`);
}

/** Backends ordered by weight for `key`, highest first; equal weights by name. */
export function rendezvousOrder(key: string, backends: readonly string[]): string[] {
  return [...backends].sort((a, b) => rendezvousWeight(key, b) - rendezvousWeight(key, a) || (a < b ? -1 : a > b ? 1 : 0));
}
