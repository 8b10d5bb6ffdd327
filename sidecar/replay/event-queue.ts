// Virtual time: a binary heap of callbacks ordered by (time, insertion order),
// so a replay with thousands of requests costs O(log n) per event and two
// events at the same instant always run in the order they were scheduled
// (determinism).
interface Entry {
  at: number;
  seq: number;
  run: (now: number) => void;
}

export class EventQueue {
  private readonly heap: Entry[] = [];
  private seq = 0;

  at(time: number, run: (now: number) => void): void {
    this.heap.push({ at: time, seq: this.seq++, run });
    this.up(this.heap.length - 1);
  }

  /** Time of the next event, if any. */
  peek(): number | undefined {
    return this.heap[0]?.at;
  }

  /** Remove and return the next event. */
  pop(): Entry | undefined {
    const top = this.heap[0];
    const last = this.heap.pop();
    if (top && last && last !== top) {
      this.heap[0] = last;
      this.down(0);
    }
    return top;
  }

  get size(): number {
    return this.heap.length;
  }

  private less(a: Entry, b: Entry): boolean {
    return a.at < b.at || (a.at === b.at && a.seq < b.seq);
  }

  private up(i: number): void {
    const h = this.heap;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(h[i]!, h[p]!)) return;
      [h[i], h[p]] = [h[p]!, h[i]!];
      i = p;
    }
  }

  private down(i: number): void {
    const h = this.heap;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && this.less(h[l]!, h[m]!)) m = l;
      if (r < h.length && this.less(h[r]!, h[m]!)) m = r;
      if (m === i) return;
      [h[i], h[m]] = [h[m]!, h[i]!];
      i = m;
    }
  }
}
