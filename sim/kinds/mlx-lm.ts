// mlx-lm's `mlx_lm.server`: lists the models it could load (no loaded flag),
// keeps ONE model resident and loads whichever model a request names (the
// first model is the --model default for requests without one). Only chat and
// text completions; no status endpoints.
import { sendJson } from '../http/respond.ts';
import { unixSeconds } from '../core/ids.ts';
import type { ApiError, OpenAIDialect } from '../openai/dialect.ts';
import { inferenceRoutes } from '../openai/routes.ts';
import type { KindDefinition } from './kind.ts';

function mlxError(status: number, message: string): ApiError {
  return { status, body: { error: { code: status, message, type: status === 404 ? 'not_found_error' : 'invalid_request_error' } } };
}

export const mlxLmKind: KindDefinition = {
  defaults: { maxLoaded: 1, slots: 32, slotScope: 'server', warmAtStart: false },
  create({ settings, engine, startedAt }) {
    const residency = engine.residency;
    const defaultModel = settings.models[0]?.id ?? '';
    const dialect: OpenAIDialect = {
      flavor: 'openai',
      headers: {},
      resolveModel(body) {
        const name = typeof body.model === 'string' && body.model !== '' && body.model !== 'default_model' ? body.model : defaultModel;
        // The real server would try to download an unknown repo from Hugging Face and fail.
        if (!residency.has(name)) return mlxError(404, `Model ${name} not found`);
        return { id: name, name };
      },
      malformedJson: (detail) => mlxError(400, detail),
      invalidRequest: (message) => mlxError(400, message),
    };
    const entry = (id: string): Record<string, unknown> => ({ id, object: 'model', created: unixSeconds(startedAt) });
    return {
      routes: [
        ...inferenceRoutes(engine, dialect, { versionless: true, only: ['chat', 'completions'] }),
        { method: 'GET', path: '/health', handler: (ctx) => sendJson(ctx.res, 200, { status: 'ok' }) },
        { method: 'GET', path: '/v1/models', handler: (ctx) => sendJson(ctx.res, 200, { object: 'list', data: residency.list().map((m) => entry(m.id)) }) },
        {
          method: 'GET',
          path: /^\/v1\/models\/(.+)$/,
          handler: (ctx, [id]) => {
            if (id && residency.has(id)) sendJson(ctx.res, 200, entry(id));
            else sendJson(ctx.res, 404, mlxError(404, 'Not Found').body);
          },
        },
      ],
      notFound: (ctx) => sendJson(ctx.res, 404, mlxError(404, 'Not Found').body),
    };
  },
};
