// Memory stays flat over 1,000,000 requests: every table the request path
// writes to (sessions, response ids, the decision ring, per-request maps,
// Prometheus series) stays under its bound, whatever model names, session keys
// and aborts clients send. In process (RequestControl + scheduler + datastore
// + metrics, on a virtual clock), and measured as sizes, not heap or time.
import { describe, expect, it } from 'vitest';
import { Datastore } from '../../sidecar/backends/datastore.ts';
import { RequestControl, type Admission } from '../../sidecar/control/request-control.ts';
import type { Clock } from '../../sidecar/control/clock.ts';
import { ResponseIdTable } from '../../sidecar/control/response-ids.ts';
import { createSchedulerCore } from '../../sidecar/scheduler/index.ts';
import { DEFAULT_DECISION_HISTORY } from '../../sidecar/scheduler/engine.ts';
import { Policy } from '../../sidecar/policy/schema.ts';
import { Metrics, UNKNOWN_MODEL } from '../../sidecar/telemetry/metrics.ts';
import { seededRandom } from '../../sidecar/util/seeded-random.ts';

const REQUESTS = Number(process.env.MEMORY_TEST_REQUESTS ?? 1_000_000);
const CHECKPOINTS = 4;
const SESSION_BOUND = 20_000;
const RESPONSE_ID_BOUND = 20_000;
/** Every collection reachable from the sidecar's objects stays at or under the largest configured bound. */
const LARGEST_BOUND = Math.max(SESSION_BOUND, RESPONSE_ID_BOUND);
const LISTED = ['m1', 'm2', 'm3', 'm4'];
/** Every metric family's label combinations, summed; ~ (5 models × 4 backend values × 10 outcomes) + histogram buckets. */
const SERIES_BOUND = 600;

/** One pending timer is all RequestControl ever arms; fired when virtual time passes it. */
class VirtualClock implements Clock {
  t = 0;
  private due: { at: number; fn: () => void } | undefined;
  now(): number {
    return this.t;
  }
  setTimeout(fn: () => void, ms: number): unknown {
    this.due = { at: this.t + ms, fn };
    return this.due;
  }
  clearTimeout(h: unknown): void {
    if (this.due === h) this.due = undefined;
  }
  advance(ms: number): void {
    this.t += ms;
    const d = this.due;
    if (d && d.at <= this.t) {
      this.due = undefined;
      d.fn();
    }
  }
}

/**
 * Sizes of every Map, Set, array, sized object (LRU caches) and plain-object
 * table reachable from `roots`, by path: a table nobody bounded shows up here
 * without the test naming it.
 */
function tableSizes(roots: Record<string, unknown>): Map<string, number> {
  const sizes = new Map<string, number>();
  const seen = new Set<unknown>();
  const visit = (v: unknown, path: string, depth: number): void => {
    if (typeof v !== 'object' || v === null || seen.has(v) || depth > 8) return;
    seen.add(v);
    if (v instanceof Map) {
      sizes.set(path, v.size);
      let i = 0;
      for (const [k, x] of v) {
        if (i++ > 64) break; // the size is what matters; sample the contents for nested tables
        visit(k, `${path}<key>`, depth + 1);
        visit(x, `${path}<value>`, depth + 1);
      }
      return;
    }
    if (v instanceof Set || ArrayBuffer.isView(v)) {
      sizes.set(path, v instanceof Set ? v.size : v.byteLength);
      return;
    }
    if (Array.isArray(v)) {
      sizes.set(path, v.length);
      for (let i = 0; i < Math.min(v.length, 64); i++) visit(v[i], `${path}[]`, depth + 1);
      return;
    }
    const size = (v as { size?: unknown }).size;
    if (typeof size === 'number') sizes.set(path, size);
    const keys = Object.keys(v);
    if (keys.length > 16) sizes.set(`${path}{}`, keys.length);
    for (const k of keys.slice(0, 64)) visit((v as Record<string, unknown>)[k], `${path}.${k}`, depth + 1);
  };
  for (const [name, root] of Object.entries(roots)) visit(root, name, 0);
  return sizes;
}

describe('memory stays flat over 1,000,000 requests', () => {
  it('random model names, random sessions and aborts leave every table under its bound', { timeout: 900_000 }, async () => {
    const policy = Policy.parse({
      allow_unlisted_models: true, // the worst case: client-chosen names reach the backend that lists none
      backends: [
        { name: 'a', url: 'http://10.0.0.1:1', models: ['m1', 'm2'], slots: 8 },
        { name: 'b', url: 'http://10.0.0.2:1', models: ['m3', 'm4'], slots: 8, max_models: 1 },
        { name: 'c', url: 'http://10.0.0.3:1', slots: 8 },
      ],
      sessions: { max_entries: SESSION_BOUND },
      scheduler: { queue: { max_length: 64, timeout_ms: 2_000 } },
    });
    const clock = new VirtualClock();
    const store = new Datastore(policy);
    const snapshot = (ids: string[]) => ({ healthy: true, knowsLoaded: true, loading: false, models: ids.map((id) => ({ id, state: 'warm' as const })) });
    store.applyProbe('a', { ok: true, snapshot: snapshot(['m1']) }, 0);
    store.applyProbe('b', { ok: true, snapshot: snapshot(['m3']) }, 0);
    store.applyProbe('c', { ok: true, snapshot: snapshot(['m2']) }, 0);
    const scheduler = createSchedulerCore(policy, store);
    const responseIds = new ResponseIdTable(RESPONSE_ID_BOUND);
    const running: string[] = [];
    const outcomes = new Map<string, number>();
    const metrics = new Metrics(store, () => control.queued());
    const control: RequestControl = new RequestControl(scheduler, clock, store, (o: Admission, model: string) => {
      metrics.admission(model, o);
      outcomes.set(o.type === 'reject' ? o.code : 'dispatched', (outcomes.get(o.type === 'reject' ? o.code : 'dispatched') ?? 0) + 1);
      if (o.type === 'dispatch') {
        running.push(o.id);
        responseIds.remember(`resp_${o.id}`, o.record.backend);
        metrics.decided(0.1);
      }
    });

    const random = seededRandom(11);
    const pick = <T,>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
    const finishRandomRunning = (ok: boolean): void => {
      if (running.length === 0) return;
      const k = Math.floor(random() * running.length);
      const id = running[k]!;
      running[k] = running[running.length - 1]!;
      running.pop();
      control.finish(id, { ok });
    };
    const roots = () => ({ store, scheduler, control, responseIds, metrics });
    const peaks = new Map<string, number>();
    const series = async () => (await metrics.registry.getMetricsAsJSON()).reduce((n, m) => n + m.values.length, 0);
    const seriesAt: number[] = [];

    for (let i = 0; i < REQUESTS; i++) {
      clock.advance(1);
      const unknown = random() < 0.3;
      const model = unknown ? `rnd-${Math.floor(random() * 1e12).toString(36)}` : pick(LISTED);
      const sessionKey = random() < 0.6 ? `s-${Math.floor(random() * 1e12).toString(36)}` : undefined;
      const id = `r${i}`;
      control.admit({ id, model, sessionKey, promptBytes: 100, stream: random() < 0.5 });
      // 20 % of clients leave at a random point: at once (often still queued) or after a while (running).
      if (random() < 0.1) control.finish(id, { ok: false });
      // Backends finish work about as fast as it arrives, with some aborts among the running; every
      // 2,000 requests a burst of 100 arrives at once, so requests queue, overflow the queue and leave it.
      const burst = i % 2_000 < 100;
      if (!burst) while (running.length > 6 || (running.length > 0 && random() < 0.45)) finishRandomRunning(random() >= 0.1);
      // Let the test runner's own messages through now and then (the loop is synchronous otherwise).
      if (i % 10_000 === 0) await new Promise((r) => setImmediate(r));
      if ((i + 1) % Math.floor(REQUESTS / CHECKPOINTS) === 0) {
        for (const [path, n] of tableSizes(roots())) peaks.set(path, Math.max(peaks.get(path) ?? 0, n));
        seriesAt.push(await series());
      }
    }
    // Drain: every running request ends, queued ones dispatch or time out.
    while (running.length > 0 || control.queued() > 0) {
      clock.advance(50);
      while (running.length > 0) finishRandomRunning(true);
    }

    // Every request reached an outcome and nothing is left behind.
    expect(control.queued()).toBe(0);
    expect(control.running()).toBe(0);
    expect(scheduler.queueLength()).toBe(0);
    expect(scheduler.inFlight()).toBe(0);
    expect(store.totalInFlight()).toBe(0);
    expect(store.releaseUnderflows).toBe(0);
    expect(outcomes.get('dispatched')).toBeGreaterThan(REQUESTS / 2);

    // The named bounds.
    expect(scheduler.recentDecisions().length).toBeLessThanOrEqual(DEFAULT_DECISION_HISTORY);
    expect(responseIds.size).toBeLessThanOrEqual(RESPONSE_ID_BOUND);
    const sessions = [...peaks].filter(([p]) => p.startsWith('scheduler.sessions'));
    expect(sessions.length, 'the session table is reachable').toBeGreaterThan(0);
    for (const [, n] of sessions) expect(n).toBeLessThanOrEqual(SESSION_BOUND);

    // Every other table: under the largest configured bound (and so independent of the request count).
    const over = [...peaks].filter(([, n]) => n > LARGEST_BOUND);
    expect(over, 'tables over their bound').toEqual([]);

    // Prometheus: client-chosen names never became series; the series set is bounded by policy facts
    // (models × backends × outcomes), not by requests: (4 listed + 'unknown') × (3 backends + none) × ~10 outcomes.
    const text = await metrics.registry.metrics();
    expect(text).not.toMatch(/model="rnd-/);
    expect(text).toMatch(new RegExp(`warmroute_requests_total\\{model="${UNKNOWN_MODEL}"`));
    expect(Math.max(...seriesAt)).toBeLessThanOrEqual(SERIES_BOUND);
  });
});
