// The real ProbeHttp: undici fetch (Node's global fetch) with a deadline that covers the whole
// exchange, body included, and a cap on the body size, so a hung or chatty server costs a
// probe at most `timeoutMs` and `maxBodyBytes`.
import type { BackendSpec } from '../../policy/schema.ts';
import type { ProbeHttp, ProbeResponse } from './types.ts';

export interface HttpProbeOptions {
  /** Deadline of one GET, connect to last body byte. */
  timeoutMs: number;
  /** Larger answers are cut off and count as a failure (vLLM /metrics with histograms is some 100 kB). */
  maxBodyBytes?: number;
  /** Ends every GET at once, e.g. when the sidecar shuts down. */
  signal?: AbortSignal;
}

export const DEFAULT_MAX_BODY_BYTES = 2 * 1024 * 1024;

async function readBounded(body: ReadableStream<Uint8Array> | null, maxBytes: number): Promise<string> {
  if (!body) return '';
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw new Error(`answer larger than ${maxBytes} bytes`);
    }
    chunks.push(value);
  }
  return new TextDecoder().decode(Buffer.concat(chunks));
}

export function httpProbe(baseUrl: string, options: HttpProbeOptions): ProbeHttp {
  const base = baseUrl.replace(/\/+$/, '');
  const maxBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  return {
    async get(path: string): Promise<ProbeResponse> {
      const deadline = new AbortController();
      const timer = setTimeout(() => deadline.abort(new Error(`timed out after ${options.timeoutMs} ms`)), options.timeoutMs);
      const signal = options.signal ? AbortSignal.any([deadline.signal, options.signal]) : deadline.signal;
      try {
        const res = await fetch(base + path, {
          signal,
          // A probe reads what is there; a redirect is an answer of its own, not something to chase.
          redirect: 'manual',
          headers: { accept: 'application/json, text/plain;q=0.9, */*;q=0.5' },
        });
        const body = await readBounded(res.body, maxBytes);
        const headers: Record<string, string> = {};
        res.headers.forEach((value, key) => {
          headers[key.toLowerCase()] = value;
        });
        return { status: res.status, headers, body };
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

/** The ProbeHttp for a backend as its policy entry describes it. */
export function httpForSpec(spec: BackendSpec, signal?: AbortSignal): ProbeHttp {
  return httpProbe(spec.url, { timeoutMs: spec.probe.timeout_ms, signal });
}
