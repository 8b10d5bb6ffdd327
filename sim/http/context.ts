// What a route handler gets: the raw request/response, the parsed URL, the
// body (read once, parsed on demand) and a signal that fires when the client
// goes away before the response is complete.
import type { IncomingMessage, ServerResponse } from 'node:http';

export type JsonObject = Record<string, unknown>;

export type JsonBody =
  | { ok: true; value: unknown }
  | { ok: false; error: string };

export interface RequestContext {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  method: string;
  /** Aborted when the client disconnects before the response ended. */
  signal: AbortSignal;
  text(): Promise<string>;
  json(): Promise<JsonBody>;
}

export function createContext(req: IncomingMessage, res: ServerResponse): RequestContext {
  const controller = new AbortController();
  res.on('close', () => {
    if (!res.writableFinished) controller.abort(new DOMException('client disconnected', 'AbortError'));
  });
  let body: Promise<string> | undefined;
  const text = (): Promise<string> => {
    body ??= readBody(req);
    return body;
  };
  return {
    req,
    res,
    url: new URL(req.url ?? '/', 'http://sim.invalid'),
    method: req.method ?? 'GET',
    signal: controller.signal,
    text,
    json: async () => parseJson(await text()),
  };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** Parse errors are worded like nlohmann::json (llama.cpp) since that is the recorded ground truth. */
function parseJson(text: string): JsonBody {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (err) {
    const detail = err instanceof Error ? err.message : String(err);
    return {
      ok: false,
      error: `[json.exception.parse_error.101] parse error: syntax error while parsing value - ${detail}`,
    };
  }
}

export function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
