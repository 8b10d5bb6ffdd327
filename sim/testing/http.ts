// Small fetch helpers for tests.
export async function getJson(url: string): Promise<{ status: number; json: unknown; headers: Headers }> {
  const res = await fetch(url);
  const text = await res.text();
  return { status: res.status, json: text ? (JSON.parse(text) as unknown) : undefined, headers: res.headers };
}

export async function postJson(
  url: string,
  body: unknown,
  init: { headers?: Record<string, string>; signal?: AbortSignal } = {},
): Promise<{ status: number; text: string; json: () => unknown; headers: Headers }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...init.headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
    signal: init.signal,
  });
  const text = await res.text();
  return { status: res.status, text, json: () => JSON.parse(text) as unknown, headers: res.headers };
}

/** Streams a response and records when each chunk arrived (ms since the request). */
export async function timedChunks(url: string, body: unknown): Promise<{ status: number; chunks: Array<{ at: number; text: string }>; headers: Headers }> {
  const started = performance.now();
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const chunks: Array<{ at: number; text: string }> = [];
  const decoder = new TextDecoder();
  if (res.body) {
    for await (const part of res.body) chunks.push({ at: performance.now() - started, text: decoder.decode(part as Uint8Array) });
  }
  return { status: res.status, chunks, headers: res.headers };
}

export function until(predicate: () => boolean, timeoutMs = 5000, stepMs = 2): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const tick = (): void => {
      if (predicate()) resolve();
      else if (Date.now() > deadline) reject(new Error('condition not reached in time'));
      else setTimeout(tick, stepMs);
    };
    tick();
  });
}
