// The one clock of the sidecar: time and timers, injected so every part (the
// request edge, the prober, the scheduler through the `now` it is handed) reads
// the same time and tests can drive it deterministically. `H` is the timer
// handle (Node's Timeout for the system clock, whatever a fake uses).
export interface Clock<H = unknown> {
  now(): number;
  setTimeout(fn: () => void, ms: number): H;
  clearTimeout(handle: H): void;
}

/** Wall-clock milliseconds; timers are unref'd so no timer alone keeps the process alive. */
export const systemClock: Clock<NodeJS.Timeout> = {
  now: () => performance.timeOrigin + performance.now(),
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    t.unref?.();
    return t;
  },
  clearTimeout: (h) => clearTimeout(h),
};
