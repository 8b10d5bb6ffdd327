// Smoke run of bench:scale with tiny sizes: it bundles, runs its children and
// produces well-formed results. No timing assertions: the figures live in
// bench/results/scale.md.
import { describe, expect, it } from 'vitest';
import { run, toMarkdown } from './scale.ts';

describe('bench:scale smoke', () => {
  it('times every event in every cell, keeps the queue at its length, and tracks every session', async () => {
    const r = await run({ queues: [10, 100], fleets: [2], rounds: 5, sessions: 2000, write: false, progress: () => {} });
    expect(r.cells.map((c) => [c.queue, c.backends])).toEqual([
      [10, 2],
      [100, 2],
    ]);
    for (const c of r.cells) {
      expect(c.queueAfter).toBe(c.queue);
      for (const e of ['tick', 'complete', 'submit'] as const) expect(Number.isFinite(c.us[e].p50) && Number.isFinite(c.us[e].p90)).toBe(true);
    }
    expect(r.memory.trackedSessions).toBe(2000);
    expect(r.memory.rssAfterMB).toBeGreaterThan(0);
    expect(toMarkdown(r)).toContain('| 2 | complete |');
  }, 180_000);
});
