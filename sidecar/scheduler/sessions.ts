// Session key → the backend its conversation last ran on, so the next turn can
// reuse the server's prompt cache. Bounded in entries and forgotten after an
// idle TTL; the clock is injected (lru-cache's own would read wall time).
// Also counts the turns of conversations each backend ran lately, so a new
// one can go where the least conversation work is (sessions spread).
import { LRUCache } from 'lru-cache';

/**
 * Time constant of the recent-turns count: a minute of chat. A conversation
 * sending a third of all turns weighs a third, not one of twenty-five (counted
 * by homes alone, new conversations split evenly and the hot one's server
 * ended up with 61-63 % of the prompt work on two servers).
 */
export const SESSION_TURNS_TIME_CONSTANT_MS = 60_000;

/** Exponentially decayed count of events per key, read at any time. */
class DecayedCounts {
  private readonly counts = new Map<string, { value: number; at: number }>();

  add(key: string, now: number): void {
    this.counts.set(key, { value: this.of(key, now) + 1, at: now });
  }

  of(key: string, now: number): number {
    const c = this.counts.get(key);
    return c === undefined ? 0 : c.value * Math.exp(-Math.max(0, now - c.at) / SESSION_TURNS_TIME_CONSTANT_MS);
  }
}

export class SessionTable {
  private now = 0;
  private cache: LRUCache<string, string>;
  /** Per backend: turns of conversations dispatched there, decayed (keys are backends: bounded by the fleet). */
  private readonly turns = new DecayedCounts();

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
    this.cache.set(key, backend);
    this.turns.add(backend, now);
  }

  /** Turns of conversations `backend` ran lately (decayed with SESSION_TURNS_TIME_CONSTANT_MS). */
  recentTurnsOn(backend: string, now: number): number {
    return this.turns.of(backend, now);
  }

  size(): number {
    return this.cache.size;
  }

  /** Apply new bounds, keeping the entries that still fit. */
  resize(maxEntries: number, ttlMs: number, now: number): void {
    if (maxEntries === this.maxEntries && ttlMs === this.ttlMs) return;
    this.now = now;
    const old = this.cache;
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
    }
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
    });
    return cache;
  }
}
