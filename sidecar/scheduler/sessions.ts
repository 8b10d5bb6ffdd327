// Session key → the backend its conversation last ran on, so the next turn can
// reuse the server's prompt cache. Bounded in entries and forgotten after an
// idle TTL; the clock is injected (lru-cache's own would read wall time).
// Also counts the live conversations homed on each backend, so a new one can
// go where the fewest are (sessions spread).
import { LRUCache } from 'lru-cache';

export class SessionTable {
  private now = 0;
  private cache: LRUCache<string, string>;
  private readonly homed = new Map<string, number>();
  private lastPurge = 0;

  constructor(
    private maxEntries: number,
    private ttlMs: number,
  ) {
    this.cache = this.build();
  }

  /** Current backend of a session, if it has one that has not idled out. */
  get(key: string, now: number): string | undefined {
    this.now = now;
    // Reading does not refresh the idle timer: only a turn that runs does.
    return this.cache.get(key, { updateAgeOnGet: false });
  }

  /** A turn of this session was dispatched to `backend`. */
  set(key: string, backend: string, now: number): void {
    this.now = now;
    // Replacing a value with the same one does not dispose it (lru-cache), so it stays counted once.
    const same = this.cache.peek(key, { allowStale: true }) === backend;
    this.cache.set(key, backend);
    if (!same) this.count(backend, 1);
  }

  /** Conversations homed on `backend` that have not idled out (stale ones are swept at most every TTL/8). */
  homedOn(backend: string, now: number): number {
    this.now = now;
    if (now - this.lastPurge >= this.ttlMs / 8) {
      this.lastPurge = now;
      this.cache.purgeStale();
    }
    return this.homed.get(backend) ?? 0;
  }

  size(): number {
    return this.cache.size;
  }

  /** Apply new bounds, keeping the entries that still fit. */
  resize(maxEntries: number, ttlMs: number, now: number): void {
    if (maxEntries === this.maxEntries && ttlMs === this.ttlMs) return;
    this.now = now;
    const old = this.cache;
    this.homed.clear();
    this.maxEntries = maxEntries;
    this.ttlMs = ttlMs;
    this.cache = this.build();
    // keys() walks most recent first; reversed, the most recent are set last, so the most recent survive the new
    // bound; each keeps the idle time it has left (capped by the new TTL).
    for (const key of [...old.keys()].reverse()) {
      const backend = old.get(key, { updateAgeOnGet: false });
      if (backend === undefined) continue;
      const left = old.getRemainingTTL(key);
      this.cache.set(key, backend, { ttl: Number.isFinite(left) ? Math.max(1, Math.min(left, ttlMs)) : ttlMs });
      this.count(backend, 1);
    }
  }

  private count(backend: string, delta: 1 | -1): void {
    const n = (this.homed.get(backend) ?? 0) + delta;
    if (n > 0) this.homed.set(backend, n);
    else this.homed.delete(backend);
  }

  private build(): LRUCache<string, string> {
    const cache: LRUCache<string, string> = new LRUCache<string, string>({
      max: this.maxEntries,
      ttl: this.ttlMs,
      // lru-cache takes a start time of 0 to mean "no TTL", so the injected
      // clock is offset by one to keep an entry set at now = 0 expiring.
      perf: { now: () => this.now + 1 },
      // No timers: staleness is checked on access against the injected clock.
      ttlResolution: 0,
      ttlAutopurge: false,
      // Every way an entry leaves (replaced, evicted, expired, deleted) uncounts its backend; only
      // for the cache in use (a resized-away one is read once more and dropped).
      dispose: (backend) => {
        if (cache === this.cache) this.count(backend, -1);
      },
    });
    return cache;
  }
}
