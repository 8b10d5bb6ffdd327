// A generic OpenAI-compatible server (the OpenAI API itself, or any proxy that
// speaks it): every model it lists is served; unknown models are a 404.
import { sendJson } from '../http/respond.ts';
import { unixSeconds } from '../core/ids.ts';
import { openaiError, type OpenAIDialect } from '../openai/dialect.ts';
import { inferenceRoutes } from '../openai/routes.ts';
import type { KindDefinition } from './kind.ts';

export const openaiKind: KindDefinition = {
  defaults: { maxLoaded: Number.POSITIVE_INFINITY, slots: 4, slotScope: 'server', warmAtStart: true },
  create({ engine, startedAt }) {
    const dialect: OpenAIDialect = {
      flavor: 'openai',
      headers: {},
      resolveModel(body) {
        if (typeof body.model !== 'string' || body.model === '') {
          return openaiError(400, 'you must provide a model parameter', 'invalid_request_error', 'missing_model');
        }
        if (!engine.residency.has(body.model)) {
          return openaiError(404, `The model \`${body.model}\` does not exist`, 'invalid_request_error', 'model_not_found');
        }
        return { id: body.model, name: body.model };
      },
      malformedJson: () =>
        openaiError(400, 'We could not parse the JSON body of your request.', 'invalid_request_error', 'invalid_json'),
      invalidRequest: (message) => openaiError(400, message, 'invalid_request_error', 'invalid_request'),
    };
    const created = unixSeconds(startedAt);
    return {
      routes: [
        ...inferenceRoutes(engine, dialect),
        {
          method: 'GET',
          path: '/v1/models',
          handler: (ctx) =>
            sendJson(ctx.res, 200, {
              object: 'list',
              data: engine.residency.list().map((m) => ({ id: m.id, object: 'model', created, owned_by: 'openai' })),
            }),
        },
        { method: 'GET', path: '/health', handler: (ctx) => sendJson(ctx.res, 200, { status: 'ok' }) },
      ],
      notFound: (ctx) => sendJson(ctx.res, 404, openaiError(404, `Invalid URL (${ctx.method} ${ctx.url.pathname})`, 'invalid_request_error', 'not_found').body),
    };
  },
};

