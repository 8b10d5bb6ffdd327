// Every refusal the gateway makes, as an OpenAI-style JSON error
// ({"error":{"message","type","code"}}). Anthropic's API gets the same object
// plus its top-level "type":"error", which both SDKs accept.
export interface ErrorReply {
  status: number;
  code: string;
  retryAfterS?: number;
  body: { type?: 'error'; error: { message: string; type: string; code: string } };
}

function errorType(status: number): string {
  if (status === 429) return 'rate_limit_error';
  if (status === 404) return 'not_found_error';
  if (status === 413) return 'request_too_large';
  if (status >= 500) return status === 503 ? 'overloaded_error' : 'server_error';
  return 'invalid_request_error';
}

export function errorReply(status: number, code: string, message: string, opts: { retryAfterS?: number; anthropic?: boolean } = {}): ErrorReply {
  const error = { message, type: errorType(status), code };
  return { status, code, retryAfterS: opts.retryAfterS, body: opts.anthropic ? { type: 'error', error } : { error } };
}
