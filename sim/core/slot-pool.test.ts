import { describe, expect, it } from 'vitest';
import { SlotPool } from './slot-pool.ts';

describe('SlotPool', () => {
  it('hands out slots up to its size, then queues FIFO', async () => {
    const pool = new SlotPool(2);
    const a = await pool.acquire();
    await pool.acquire();
    const order: string[] = [];
    const c = pool.acquire().then((r) => (order.push('c'), r));
    const d = pool.acquire().then((r) => (order.push('d'), r));
    expect(pool.active).toBe(2);
    expect(pool.queued).toBe(2);
    a();
    a(); // releasing twice must not free a second slot
    const releaseC = await c;
    expect(order).toEqual(['c']);
    expect(pool.queued).toBe(1);
    releaseC();
    await d;
    expect(order).toEqual(['c', 'd']);
    expect(pool.slotStates().map((s) => s.busy)).toEqual([true, true]);
  });

  it('a waiter whose signal aborts leaves the queue', async () => {
    const pool = new SlotPool(1);
    const release = await pool.acquire();
    const ctrl = new AbortController();
    const waiting = pool.acquire(ctrl.signal);
    expect(pool.queued).toBe(1);
    ctrl.abort();
    await expect(waiting).rejects.toBeDefined();
    expect(pool.queued).toBe(0);
    release();
    expect(pool.active).toBe(0);
  });
});
