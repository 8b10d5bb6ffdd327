// A counting semaphore with a FIFO queue: the server's parallel slots. A
// request that cannot get a slot waits inside the server (llama.cpp calls it
// "deferred"); a waiter whose client goes away leaves the queue at once.

export type Release = () => void;

interface Waiter {
  grant: (slot: number) => void;
}

export class SlotPool {
  private readonly busy: boolean[];
  /** Task id of the request each slot runs (or ran last), like llama.cpp's id_task. */
  private readonly tasks: Array<number | null>;
  private readonly waiters: Waiter[] = [];
  private nextTask = 0;

  constructor(readonly size: number) {
    this.busy = Array.from({ length: size }, () => false);
    this.tasks = Array.from({ length: size }, () => null);
  }

  get active(): number {
    return this.busy.filter(Boolean).length;
  }

  get queued(): number {
    return this.waiters.length;
  }

  /** Per-slot state, for /slots-style endpoints. */
  slotStates(): Array<{ busy: boolean; task: number | null }> {
    return this.busy.map((busy, i) => ({ busy, task: this.tasks[i] ?? null }));
  }

  acquire(signal?: AbortSignal): Promise<Release> {
    signal?.throwIfAborted();
    const free = this.busy.indexOf(false);
    if (free >= 0 && this.waiters.length === 0) return Promise.resolve(this.take(free));
    return new Promise<Release>((resolve, reject) => {
      const onAbort = (): void => {
        const i = this.waiters.indexOf(waiter);
        if (i >= 0) this.waiters.splice(i, 1);
        reject(signal?.reason);
      };
      const waiter: Waiter = {
        grant: (slot) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(this.take(slot));
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(waiter);
    });
  }

  private take(slot: number): Release {
    this.busy[slot] = true;
    this.tasks[slot] = this.nextTask++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.busy[slot] = false;
      const next = this.waiters.shift();
      if (next) next.grant(slot);
    };
  }
}
