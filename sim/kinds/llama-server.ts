// llama.cpp `llama-server` in single-model mode: one model (the first in the
// spec), loaded at process start. While it loads every path except the model
// lists answers 503 "Loading model". It serves ANY requested model name with
// its own model, as recorded.
import { unixSeconds } from '../core/ids.ts';
import type { RequestContext } from '../http/context.ts';
import { sendJson } from '../http/respond.ts';
import { inferenceRoutes } from '../openai/routes.ts';
import type { KindDefinition } from './kind.ts';
import { LLAMA_HEADERS, llamaDialect, sendFileNotFound, sendLlamaError, sendOk } from './llama-cpp/dialect.ts';
import { singleModelList } from './llama-cpp/model-info.ts';
import { instanceProps } from './llama-cpp/props.ts';
import { sendMetrics, sendSlots } from './llama-cpp/slots.ts';

/** Paths llama-server answers even while loading. */
const PASS_WHILE_LOADING = new Set(['/models', '/v1/models', '/api/tags']);

export const llamaServerKind: KindDefinition = {
  defaults: { maxLoaded: 1, slots: 4, slotScope: 'server', warmAtStart: true },
  create({ settings, engine, startedAt }) {
    const first = settings.models[0];
    if (!first || settings.models.length > 1) throw new Error('llama-server (single-model mode) serves exactly one model');
    const model = engine.residency.get(first.id);
    const created = unixSeconds(startedAt);
    const dialect = llamaDialect(() => ({ id: model.id, name: model.id }));
    const listModels = (ctx: RequestContext): void => sendJson(ctx.res, 200, singleModelList(model, created), LLAMA_HEADERS);
    return {
      intercept(ctx) {
        if (model.state === 'warm' || PASS_WHILE_LOADING.has(ctx.url.pathname)) return false;
        sendLlamaError(ctx, 503, 'Loading model', 'unavailable_error');
        return true;
      },
      routes: [
        ...inferenceRoutes(engine, dialect, { versionless: true }),
        { method: 'GET', path: '/health', handler: sendOk },
        { method: 'GET', path: '/v1/health', handler: sendOk },
        { method: 'GET', path: '/models', handler: listModels },
        { method: 'GET', path: '/v1/models', handler: listModels },
        { method: 'GET', path: '/api/tags', handler: listModels },
        { method: 'GET', path: '/props', handler: (ctx) => sendJson(ctx.res, 200, instanceProps(model.id, settings.slots), LLAMA_HEADERS) },
        { method: 'GET', path: '/slots', handler: (ctx) => sendSlots(ctx, engine.pool(model.id)) },
        {
          method: 'GET',
          path: '/metrics',
          handler: (ctx) => {
            const pool = engine.pool(model.id);
            sendMetrics(
              ctx,
              { promptTokens: engine.promptTokens, tokensPredicted: engine.tokensGenerated, processing: pool.active, deferred: pool.queued },
              startedAt,
            );
          },
        },
      ],
      notFound: sendFileNotFound,
      start() {
        // A model not warm at start is what a freshly started llama-server is doing: loading it.
        if (model.state === 'cold') void engine.residency.load(model.id);
      },
    };
  },
};
