// Clients for the fault tests, through the official OpenAI SDK: a stream read to
// its end (how many tokens arrived, whether it finished, or how it broke) and a
// short request that reports what the client saw.
import OpenAI, { APIError } from 'openai';

export const MESSAGES = [{ role: 'user' as const, content: 'Say something long.' }];

export function client(gatewayUrl: string): OpenAI {
  // No SDK retries: a fault test must see every answer the gateway gives.
  return new OpenAI({ baseURL: `${gatewayUrl}/v1`, apiKey: 'unused', maxRetries: 0, timeout: 60_000 });
}

export interface StreamOutcome {
  /** Content deltas received (the simulated servers send one token per delta). */
  tokens: number;
  finishReason: string | undefined;
  /** The backend the gateway chose (x-warmroute-backend, when decision headers are on). */
  backend: string | undefined;
  /** Why the stream broke, if it did. */
  error: string | undefined;
}

/** Streams one chat completion to its end; `onFirstToken` fires once the first token is in. */
export async function streamChat(c: OpenAI, model: string, maxTokens: number, onFirstToken?: () => void): Promise<StreamOutcome> {
  const out: StreamOutcome = { tokens: 0, finishReason: undefined, backend: undefined, error: undefined };
  try {
    const { data, response } = await c.chat.completions.create({ model, messages: MESSAGES, stream: true, max_tokens: maxTokens }).withResponse();
    out.backend = response.headers.get('x-warmroute-backend') ?? undefined;
    for await (const chunk of data) {
      const choice = chunk.choices[0];
      if (choice?.delta?.content) {
        if (out.tokens++ === 0) onFirstToken?.();
      }
      if (choice?.finish_reason) out.finishReason = choice.finish_reason;
    }
  } catch (e) {
    out.error = e instanceof Error ? `${e.constructor.name}: ${e.message}` : String(e);
  }
  return out;
}

export interface ShortOutcome {
  status: number;
  /** The JSON error code of a refusal. */
  code: string | undefined;
  /** Content of a successful answer. */
  content: string | undefined;
  /** A transport failure (no HTTP answer at all). */
  error: string | undefined;
  /** The backend that answered (x-warmroute-backend, when decision headers are on). */
  backend?: string;
}

/** One non-streaming chat completion; never throws. */
export async function shortChat(c: OpenAI, model: string): Promise<ShortOutcome> {
  try {
    const { data, response } = await c.chat.completions.create({ model, messages: MESSAGES, max_tokens: 3 }).withResponse();
    const backend = response.headers.get('x-warmroute-backend') ?? undefined;
    return { status: 200, code: undefined, content: data.choices[0]?.message.content ?? '', error: undefined, ...(backend ? { backend } : {}) };
  } catch (e) {
    if (e instanceof APIError && e.status !== undefined) {
      const body = e.error as { code?: unknown } | undefined;
      return { status: e.status, code: typeof body?.code === 'string' ? body.code : undefined, content: undefined, error: undefined };
    }
    return { status: 0, code: undefined, content: undefined, error: e instanceof Error ? `${e.constructor.name}: ${e.message}` : String(e) };
  }
}
