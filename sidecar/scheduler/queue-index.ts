// The waiting requests, indexed so that an event costs the same whatever the
// queue's length. Every request sits in two arrival-ordered lists: the whole
// queue (its front gives the next timeout and the next request to starve) and
// its group, the requests with the same model and the same pinned backend.
// Within a group every strategy ranks the oldest first (same model priority,
// same warm bonus, older = more aged), so a dispatch pass only walks groups
// from their fronts. Counts per group make a model's queued demand O(1).
// Removal is O(1) from anywhere (cancel, timeout, dispatch).
import type { QueueEntry } from './framework.ts';
import { mayRunOn, restrictionKey } from './plugins/pinned.ts';

export interface ListNode {
  readonly entry: QueueEntry;
  prev: ListNode | undefined;
  next: ListNode | undefined;
  /** Still in its list (a removed node keeps its links for a walk in progress). */
  linked: boolean;
}

const arrivesBefore = (a: QueueEntry, b: QueueEntry) => a.enqueuedAt < b.enqueuedAt || (a.enqueuedAt === b.enqueuedAt && a.seq < b.seq);

/**
 * A doubly linked list in arrival order (enqueue time, then sequence), with a
 * cursor on the first request younger than the aging bound. The cursor only
 * moves forward while time does, so finding it is amortised O(1).
 */
export class ArrivalList {
  head: ListNode | undefined;
  private tail: ListNode | undefined;
  size = 0;
  private fresh: ListNode | undefined;
  /** The (now, agingMs) the fresh cursor is valid for. */
  private freshAt = -Infinity;
  private freshAging = NaN;

  push(entry: QueueEntry): ListNode {
    const node: ListNode = { entry, prev: undefined, next: undefined, linked: true };
    // Time never runs backwards at the edge, so this is the tail; tests may rewind it.
    let after = this.tail;
    while (after && arrivesBefore(entry, after.entry)) after = after.prev;
    node.prev = after;
    node.next = after ? after.next : this.head;
    if (node.next) node.next.prev = node;
    else this.tail = node;
    if (after) after.next = node;
    else this.head = node;
    this.size++;
    if (node.next !== undefined) this.freshAt = -Infinity;
    else if (this.fresh === undefined && this.freshAt > -Infinity && entry.enqueuedAt > this.freshAt - this.freshAging) this.fresh = node;
    return node;
  }

  remove(node: ListNode): void {
    if (!node.linked) return;
    node.linked = false;
    if (node.prev) node.prev.next = node.next;
    else this.head = node.next;
    if (node.next) node.next.prev = node.prev;
    else this.tail = node.prev;
    if (this.fresh === node) this.fresh = node.next;
    this.size--;
  }

  /** The oldest request that has waited less than `agingMs` at `now`. */
  firstFresh(now: number, agingMs: number): ListNode | undefined {
    if (now < this.freshAt || agingMs !== this.freshAging) {
      this.fresh = this.head;
      this.freshAging = agingMs;
    }
    this.freshAt = now;
    while (this.fresh && now - this.fresh.entry.enqueuedAt >= agingMs) this.fresh = this.fresh.next;
    return this.fresh;
  }

  *values(): IterableIterator<QueueEntry> {
    for (let n = this.head; n; n = n.next) yield n.entry;
  }
}

/** Requests with the same model and the same restriction: pinned backend (or none), allowed backends (or any). */
export interface QueueGroup {
  readonly key: string;
  readonly model: string;
  readonly pinnedBackend: string | undefined;
  /** An endpoint picker's subset: only these backends (undefined = any). */
  readonly allowedBackends: readonly string[] | undefined;
  readonly list: ArrivalList;
}

interface Indexed {
  readonly all: ListNode;
  readonly inGroup: ListNode;
  readonly group: QueueGroup;
}

export const groupKey = (model: string, restriction: string | undefined) => `${model}\u0000${restriction ?? ''}`;
/** The group of a request: its model and restrictionKey (requests in one group are interchangeable). */
export const groupKeyOf = (req: QueueEntry['req']) => groupKey(req.model, restrictionKey(req));

export class QueueIndex {
  private readonly byId = new Map<string, Indexed>();
  private readonly all = new ArrivalList();
  private readonly groupsByKey = new Map<string, QueueGroup>();
  /** Queued requests per model: unpinned under '', pinned under the backend's name, restricted to a subset under its restrictionKey. */
  private readonly counts = new Map<string, Map<string, number>>();
  /** The subsets behind the restricted count keys, per model (few: one per distinct subset the gateway sends). */
  private readonly subsets = new Map<string, Map<string, QueueEntry['req']>>();

  get size(): number {
    return this.all.size;
  }

  has(id: string): boolean {
    return this.byId.has(id);
  }

  get(id: string): QueueEntry | undefined {
    return this.byId.get(id)?.all.entry;
  }

  add(entry: QueueEntry): void {
    const { model, pinnedBackend, allowedBackends } = entry.req;
    const key = groupKeyOf(entry.req);
    let group = this.groupsByKey.get(key);
    if (!group) this.groupsByKey.set(key, (group = { key, model, pinnedBackend, allowedBackends, list: new ArrivalList() }));
    this.byId.set(entry.req.id, { all: this.all.push(entry), inGroup: group.list.push(entry), group });
    const countKey = restrictionKey(entry.req) ?? '';
    if (allowedBackends !== undefined) {
      let m = this.subsets.get(model);
      if (!m) this.subsets.set(model, (m = new Map()));
      m.set(countKey, entry.req);
    }
    this.bump(model, countKey, 1);
  }

  remove(id: string): QueueEntry | undefined {
    const x = this.byId.get(id);
    if (!x) return undefined;
    this.byId.delete(id);
    this.all.remove(x.all);
    x.group.list.remove(x.inGroup);
    if (x.group.list.size === 0) this.groupsByKey.delete(x.group.key);
    const countKey = restrictionKey(x.group) ?? '';
    if (this.bump(x.group.model, countKey, -1) === 0 && x.group.allowedBackends !== undefined) {
      const m = this.subsets.get(x.group.model);
      m?.delete(countKey);
      if (m?.size === 0) this.subsets.delete(x.group.model);
    }
    return x.all.entry;
  }

  /** The longest-waiting request. */
  oldest(): QueueEntry | undefined {
    return this.all.head?.entry;
  }

  /** The longest-waiting request that has waited less than `agingMs`. */
  oldestFresh(now: number, agingMs: number): QueueEntry | undefined {
    return this.all.firstFresh(now, agingMs)?.entry;
  }

  groups(): IterableIterator<QueueGroup> {
    return this.groupsByKey.values();
  }

  /** Queued requests for `model`, any pin. */
  count(model: string): number {
    let n = 0;
    for (const c of this.counts.get(model)?.values() ?? []) n += c;
    return n;
  }

  /** Queued requests for `model` that may run on `backend`: unpinned, pinned there, or with a subset that holds it. */
  countFor(model: string, backend: string): number {
    const m = this.counts.get(model);
    if (!m) return 0;
    let n = (m.get('') ?? 0) + (backend === '' ? 0 : m.get(backend) ?? 0);
    for (const [key, req] of this.subsets.get(model) ?? []) if (mayRunOn(req, backend)) n += m.get(key) ?? 0;
    return n;
  }

  /** Every waiting request in arrival order: O(queue), for snapshots only. */
  values(): IterableIterator<QueueEntry> {
    return this.all.values();
  }

  /** Returns the new count. */
  private bump(model: string, pin: string, by: number): number {
    let m = this.counts.get(model);
    if (!m) this.counts.set(model, (m = new Map()));
    const n = (m.get(pin) ?? 0) + by;
    if (n > 0) m.set(pin, n);
    else m.delete(pin);
    if (m.size === 0) this.counts.delete(model);
    return n;
  }
}
