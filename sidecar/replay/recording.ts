// The sidecar's recording hook: a Scheduler that passes every call through to
// the real one and, while the policy asks for recording, notes what each
// request did (arrival, dispatch, end or refusal) for the Recorder. It sits
// between request control and the core, so it sees exactly what the core
// sees (never bodies) and costs a map lookup per call when recording is off.
import type { CompletionInfo, RequestInfo, Scheduler, SchedulerOutcome } from '../scheduler/types.ts';
import type { RecordSpec } from './record-spec.ts';
import { Recorder, type RecordedRequest } from './recorder.ts';

type Open = Omit<RecordedRequest, 'endedAt' | 'outcome'>;

export class RecordingHook {
  private recorder: Recorder | undefined;
  private readonly open = new Map<string, Open>();

  constructor(
    private readonly now: () => number,
    private readonly onError: (error: string) => void,
  ) {}

  current(): Recorder | undefined {
    return this.recorder;
  }

  /** Apply the policy's `record` section (start, stop or move the recording). */
  async configure(spec: RecordSpec | undefined): Promise<void> {
    const same = this.recorder && spec && JSON.stringify(this.recorder.spec) === JSON.stringify(spec);
    if (same) return;
    const old = this.recorder;
    this.recorder = spec ? new Recorder(spec, this.now(), this.onError) : undefined;
    this.open.clear();
    await old?.close();
  }

  async close(): Promise<void> {
    await this.configure(undefined);
  }

  /** The scheduler request control should call. */
  wrap(inner: Scheduler): Scheduler {
    const observe = (outcomes: SchedulerOutcome[], now: number): SchedulerOutcome[] => {
      if (this.recorder && this.open.size > 0) for (const o of outcomes) this.outcome(o, now);
      return outcomes;
    };
    return {
      submit: (req: RequestInfo, now: number) => {
        if (this.recorder) this.open.set(req.id, { model: req.model, sessionKey: req.sessionKey, arrivedAt: now, promptBytes: req.promptBytes, stream: req.stream });
        return observe(inner.submit(req, now), now);
      },
      cancel: (id: string, now: number) => {
        this.end(id, now, 'cancelled');
        return observe(inner.cancel(id, now), now);
      },
      complete: (id: string, now: number, info: CompletionInfo) => {
        // A completion for a request never dispatched is the edge giving up on it while queued.
        this.end(id, now, this.open.get(id)?.dispatchedAt === undefined ? 'cancelled' : info.ok ? 'completed' : 'failed');
        return observe(inner.complete(id, now, info), now);
      },
      tick: (now: number) => observe(inner.tick(now), now),
      nextWakeAt: () => inner.nextWakeAt(),
      queueLength: () => inner.queueLength(),
      inFlight: () => inner.inFlight(),
    };
  }

  private outcome(o: SchedulerOutcome, now: number): void {
    if (o.type === 'prewarm') return; // not about a request
    const r = this.open.get(o.id);
    if (!r) return;
    if (o.type === 'dispatch') {
      r.dispatchedAt = now;
      r.backend = o.record.backend;
    } else if (o.type === 'reject') this.end(o.id, now, o.code);
  }

  private end(id: string, now: number, outcome: string): void {
    const r = this.open.get(id);
    if (!r) return;
    this.open.delete(id);
    this.recorder?.add({ ...r, endedAt: now, outcome });
  }
}
