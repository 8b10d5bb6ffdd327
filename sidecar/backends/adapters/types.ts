// The seam between probe adapters and the network. Adapters only ever see a
// ProbeHttp, so every one of them can be tested on recorded answers, and a
// garbage or missing answer is just another input to turn into a snapshot.
import type { BackendKind, BackendSpec } from '../../policy/schema.ts';
import type { BackendSnapshot } from '../snapshot.ts';

/** One HTTP answer as the adapter sees it: header names are lower-case, the body is text. */
export interface ProbeResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** A GET against one backend. `path` starts with `/` and includes the query. Rejects on transport failure or timeout. */
export interface ProbeHttp {
  get(path: string): Promise<ProbeResponse>;
}

/**
 * Turns one server kind's probe endpoints into a BackendSnapshot.
 * `probe` never rejects: a failed or garbage answer becomes `healthy: false` with `error`.
 * A probe only reads; it must never make a server load a model.
 */
export interface Adapter {
  kind: BackendKind;
  probe(http: ProbeHttp, spec: BackendSpec): Promise<BackendSnapshot>;
}
