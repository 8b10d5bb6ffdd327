// Background client traffic for fault tests: workers send streaming chat
// requests through the gateway and record how each one ended, so a test can
// say "no request was dropped" after doing something to the gateway meanwhile.
import type { Gateway } from '../harness.ts';

export interface Outcome {
  model: string;
  /** Date.now() when the request was sent. */
  sentAt: number;
  status: number;
  /** x-warmroute-backend (with debug.decision_headers). */
  backend?: string;
  /** The stream ended with its finish chunk and [DONE]. */
  complete: boolean;
  /** Content tokens received. */
  tokens: number;
  error?: string;
}

/** One streaming chat completion, read to its end. */
export async function streamChat(gw: Gateway, model: string, maxTokens: number, signal?: AbortSignal): Promise<Outcome> {
  const sentAt = Date.now();
  try {
    const res = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model, stream: true, max_tokens: maxTokens, messages: [{ role: 'user', content: `hello ${model}` }] }),
      signal,
    });
    const text = await res.text();
    const tokens = text.split('\n').filter((l) => l.startsWith('data: {') && l.includes('"content":"') && !l.includes('"content":""')).length;
    return {
      model,
      sentAt,
      status: res.status,
      backend: res.headers.get('x-warmroute-backend') ?? undefined,
      complete: res.status === 200 && text.includes('"finish_reason":"') && text.trimEnd().endsWith('data: [DONE]'),
      tokens,
    };
  } catch (e) {
    return { model, sentAt, status: 0, complete: false, tokens: 0, error: String(e) };
  }
}

export interface Traffic {
  readonly outcomes: Outcome[];
  /** Stop sending; resolves when every request sent has ended. */
  stop(): Promise<Outcome[]>;
}

/** `workers` loops, each sending one request after another for `models()` (read per request, so a test can change it). */
export function startTraffic(gw: Gateway, workers: number, models: () => readonly string[], maxTokens = 8): Traffic {
  const outcomes: Outcome[] = [];
  let running = true;
  let n = 0;
  const loops = Array.from({ length: workers }, async () => {
    while (running) {
      const list = models();
      outcomes.push(await streamChat(gw, list[n++ % list.length]!, maxTokens));
    }
  });
  return {
    outcomes,
    async stop() {
      running = false;
      await Promise.all(loops);
      return outcomes;
    },
  };
}
