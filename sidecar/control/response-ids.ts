// Which backend stored which Responses-API response: a request naming it in
// previous_response_id must go there (hard affinity). Bounded, with idle TTL.
import { LRUCache } from 'lru-cache';

const RESPONSE_ID = /"id"\s*:\s*"(resp_[A-Za-z0-9_-]{1,200})"/;
/** The id is in the first event / the first bytes of the JSON; never look further. */
export const RESPONSE_ID_SCAN_BYTES = 8192;

export class ResponseIdTable {
  private readonly table: LRUCache<string, string>;

  constructor(maxEntries = 100_000, ttlMs = 24 * 3600_000) {
    this.table = new LRUCache({ max: maxEntries, ttl: ttlMs, updateAgeOnGet: true });
  }

  /** Find the response id in the start of a response body; returns it if found. */
  static find(head: string): string | undefined {
    return RESPONSE_ID.exec(head)?.[1];
  }

  remember(responseId: string, backend: string): void {
    this.table.set(responseId, backend);
  }

  backendOf(responseId: string): string | undefined {
    return this.table.get(responseId);
  }

  get size(): number {
    return this.table.size;
  }
}
