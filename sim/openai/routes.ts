// The OpenAI/Anthropic inference endpoints every OpenAI-speaking kind serves,
// bound to that kind's engine and dialect.
import type { Route } from '../http/routes.ts';
import type { RequestContext } from '../http/context.ts';
import type { Engine } from '../core/engine.ts';
import type { OpenAIDialect } from './dialect.ts';
import { handleChat } from './chat.ts';
import { handleCompletions } from './completions.ts';
import { handleEmbeddings } from './embeddings.ts';
import { handleResponses } from './responses.ts';
import { handleCountTokens, handleMessages } from './messages.ts';

export type Endpoint = 'chat' | 'completions' | 'embeddings' | 'responses' | 'messages';

export interface InferenceRouteOptions {
  /** Also answer without the /v1 prefix (llama.cpp, mlx-lm). */
  versionless?: boolean;
  /** Endpoints the real server has; default all. */
  only?: readonly Endpoint[];
}

type EndpointHandler = (ctx: RequestContext, engine: Engine, dialect: OpenAIDialect) => Promise<void>;

const TABLE: Array<{ endpoint: Endpoint; path: string; versionless?: string; handler: EndpointHandler }> = [
  { endpoint: 'chat', path: '/v1/chat/completions', versionless: '/chat/completions', handler: handleChat },
  { endpoint: 'completions', path: '/v1/completions', versionless: '/completions', handler: handleCompletions },
  { endpoint: 'embeddings', path: '/v1/embeddings', versionless: '/embeddings', handler: handleEmbeddings },
  { endpoint: 'responses', path: '/v1/responses', handler: handleResponses },
  { endpoint: 'messages', path: '/v1/messages', handler: handleMessages },
  { endpoint: 'messages', path: '/v1/messages/count_tokens', handler: handleCountTokens },
];

export function inferenceRoutes(engine: Engine, dialect: OpenAIDialect, options: InferenceRouteOptions = {}): Route[] {
  const routes: Route[] = [];
  for (const row of TABLE) {
    if (options.only && !options.only.includes(row.endpoint)) continue;
    const handler = (ctx: RequestContext): Promise<void> => row.handler(ctx, engine, dialect);
    routes.push({ method: 'POST', path: row.path, handler });
    if (options.versionless && row.versionless) routes.push({ method: 'POST', path: row.versionless, handler });
  }
  return routes;
}
