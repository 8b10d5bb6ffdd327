// What one replay (virtual or live) observed, request by request: the raw
// material of every report. Times are ms since the trace started.
export interface RequestResult {
  id: string;
  model: string;
  /** When the request was sent (its arrival, or the end of its dependencies plus the gap). */
  arrivedAt: number;
  /** When the sidecar dispatched it (virtual time only: live mode cannot see the gateway's queue). */
  dispatchedAt?: number;
  /** When it started producing (virtual: slot held and model warm; live: first byte). */
  startedAt?: number;
  endedAt: number;
  backend?: string;
  /** Set when the request was refused or failed. */
  failed?: { status: number; code: string };
}

export interface LoadCounts {
  total: number;
  /** Per public model name, where the source tells (empty when only a total is known). */
  byModel: Record<string, number>;
}

export interface RunResult {
  /** Strategy name, or a label for a live target. */
  label: string;
  requests: RequestResult[];
  /** Model loads, when observable (undefined in live mode without a metrics source). */
  loads: LoadCounts | undefined;
  /** Wall-clock ms the replay itself took. */
  wallMs: number;
}
