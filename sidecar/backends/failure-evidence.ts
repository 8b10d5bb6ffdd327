// What a failed request says about its backend. Only a failed connection
// proves the server is gone; a reset exchange or a 5xx the server answered
// itself happen to live servers too (an accept backlog overflowing under a
// burst, llama-swap's "500 upstream command exited prematurely" while it
// swaps), so those take a streak before the backend is marked down.

/**
 * - `connect`: Envoy could not open a connection (refused, connect timeout, no
 *   healthy upstream host): nothing is listening there.
 * - `exchange`: a connection was made and the exchange broke before a response
 *   (reset, termination, response timeout).
 * - `answered`: the backend itself answered with a 5xx.
 * - `gateway`: Envoy's own limit (circuit-breaker overflow) says nothing about the backend.
 */
export type UpstreamFailure = 'connect' | 'exchange' | 'answered' | 'gateway';

/** Envoy's `response.code_details` for a response the upstream sent. */
const FROM_UPSTREAM = 'via_upstream';

/**
 * Markers of a failed connect in Envoy's `response.code_details`, e.g.
 * `upstream_reset_before_response_started{remote_connection_failure|delayed_connect_error:_Connection_refused}`
 * (Envoy 1.40, connection refused; older releases say `{connection_failure,...}`),
 * `...{connection_timeout}` and `no_healthy_upstream`.
 */
const CONNECT_MARKERS = ['connection_failure', 'connect_error', 'connection_timeout', 'no_healthy_upstream'];

/**
 * Classifies a routed response the observing filter saw. `details` is Envoy's
 * `response.code_details` (an ext_proc response attribute); without it (an
 * Envoy config rendered by an older warmroute) a 5xx counts as a broken
 * exchange: not proof on its own.
 */
export function upstreamFailureOf(status: number, details: string | undefined): UpstreamFailure | undefined {
  if (status < 500) return undefined;
  if (details === FROM_UPSTREAM) return 'answered';
  if (details === undefined || details === '') return 'exchange';
  if (CONNECT_MARKERS.some((m) => details.includes(m))) return 'connect';
  if (details.includes('overflow')) return 'gateway';
  return 'exchange';
}

/** Why a backend went down, for the log line and the dashboard's timeline. */
export function failureReason(status: number, kind: UpstreamFailure): string {
  const why: Record<UpstreamFailure, string> = {
    connect: 'could not connect',
    exchange: `exchange broke before a response, ${FAILURE_STREAK} failures in a row`,
    answered: `answered by the backend, ${FAILURE_STREAK} failures in a row`,
    gateway: "Envoy's own limit",
  };
  return `HTTP ${status} on a request (${why[kind]})`;
}

/** Failures short of a refused connection needed, in a row, to mark a backend down. */
export const FAILURE_STREAK = 3;
/** ...all within this window (ms): isolated failures minutes apart are not a streak. */
export const FAILURE_STREAK_WINDOW_MS = 10_000;

/**
 * The recent streak of non-connect failures of one backend. Any successful
 * response ends the streak: a server that answers some requests is alive, so
 * a burst of resets interleaved with answers never adds up. O(1) per event.
 */
export class FailureStreak {
  private readonly times: number[] = [];

  /** Records a failure; true when it completes a streak (FAILURE_STREAK within the window). */
  fail(now: number): boolean {
    this.times.push(now);
    if (this.times.length > FAILURE_STREAK) this.times.shift();
    return this.times.length === FAILURE_STREAK && now - this.times[0]! <= FAILURE_STREAK_WINDOW_MS;
  }

  succeed(): void {
    this.times.length = 0;
  }
}
