// Ollama: loads models on demand, keeps up to OLLAMA_MAX_LOADED_MODELS (LRU
// eviction beyond), OLLAMA_NUM_PARALLEL slots per loaded model (default 1).
// Native /api/* plus the OpenAI-compatible /v1/* endpoints.
import type { RequestContext } from '../../http/context.ts';
import { sendJson, sendText } from '../../http/respond.ts';
import { unixSeconds } from '../../core/ids.ts';
import { openaiError, type OpenAIDialect } from '../../openai/dialect.ts';
import { inferenceRoutes } from '../../openai/routes.ts';
import type { KindDefinition } from '../kind.ts';
import { handleEmbed } from './embed.ts';
import { notFoundMessage } from './errors.ts';
import { expiresAt, psEntry, showBody, tagsEntry } from './listing.ts';
import { handleNative, readOllamaBody } from './native.ts';

export const OLLAMA_VERSION = '0.12.6';

export const ollamaKind: KindDefinition = {
  defaults: { maxLoaded: 3, slots: 1, slotScope: 'model', warmAtStart: false },
  create({ engine, startedAt }) {
    const residency = engine.residency;
    const modifiedAt = new Date(startedAt).toISOString();
    const dialect: OpenAIDialect = {
      flavor: 'openai',
      headers: {},
      resolveModel(body) {
        if (typeof body.model !== 'string' || body.model === '') return openaiError(400, 'model is required', 'invalid_request_error', null);
        if (!residency.has(body.model)) return openaiError(404, notFoundMessage(body.model), 'not_found_error', null);
        return { id: body.model, name: body.model };
      },
      malformedJson: (detail) => openaiError(400, detail, 'invalid_request_error', null),
      invalidRequest: (message) => openaiError(400, message, 'invalid_request_error', null),
    };
    const running = (ctx: RequestContext): void => sendText(ctx.res, 200, 'Ollama is running', 'text/plain; charset=utf-8');
    return {
      routes: [
        ...inferenceRoutes(engine, dialect),
        { method: 'GET', path: '/', handler: running },
        { method: 'HEAD', path: '/', handler: running },
        { method: 'GET', path: '/api/version', handler: (ctx) => sendJson(ctx.res, 200, { version: OLLAMA_VERSION }) },
        { method: 'GET', path: '/api/tags', handler: (ctx) => sendJson(ctx.res, 200, { models: residency.list().map((m) => tagsEntry(m, modifiedAt)) }) },
        {
          method: 'GET',
          path: '/api/ps',
          handler: (ctx) =>
            sendJson(ctx.res, 200, {
              models: residency
                .resident()
                .sort((a, b) => expiresAt(b).localeCompare(expiresAt(a)))
                .map(psEntry),
            }),
        },
        {
          method: 'POST',
          path: '/api/show',
          handler: async (ctx) => {
            const read = await readOllamaBody(ctx, engine);
            if (read) sendJson(ctx.res, 200, showBody(residency.get(read.model), modifiedAt));
          },
        },
        { method: 'POST', path: '/api/chat', handler: (ctx) => handleNative(ctx, engine, 'chat') },
        { method: 'POST', path: '/api/generate', handler: (ctx) => handleNative(ctx, engine, 'generate') },
        { method: 'POST', path: '/api/embed', handler: (ctx) => handleEmbed(ctx, engine, false) },
        { method: 'POST', path: '/api/embeddings', handler: (ctx) => handleEmbed(ctx, engine, true) },
        {
          method: 'GET',
          path: '/v1/models',
          handler: (ctx) =>
            sendJson(ctx.res, 200, {
              object: 'list',
              data: residency.list().map((m) => ({ id: m.id, object: 'model', created: unixSeconds(startedAt), owned_by: 'library' })),
            }),
        },
      ],
      notFound: (ctx) => sendText(ctx.res, 404, '404 page not found', 'text/plain'),
    };
  },
};
