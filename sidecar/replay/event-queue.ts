// Virtual time: a binary heap of callbacks ordered by (time, insertion order),
// so a replay with thousands of requests costs O(log n) per event and two
// events at the same instant always run in the order they were scheduled
// (determinism).
import { MinHeap } from '../scheduler/heap.ts';

interface Entry {
  at: number;
  seq: number;
  run: (now: number) => void;
}

export class EventQueue {
  private readonly heap = new MinHeap<Entry>((a, b) => a.at < b.at || (a.at === b.at && a.seq < b.seq));
  private seq = 0;

  at(time: number, run: (now: number) => void): void {
    this.heap.push({ at: time, seq: this.seq++, run });
  }

  /** Time of the next event, if any. */
  peek(): number | undefined {
    return this.heap.peek()?.at;
  }

  /** Remove and return the next event. */
  pop(): Entry | undefined {
    return this.heap.pop();
  }

  get size(): number {
    return this.heap.size;
  }
}
