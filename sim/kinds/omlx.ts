// oMLX (Apple-silicon MLX server): every model in its model dir is listed;
// a request loads the model on demand, evicting the least recently used idle
// model at maxLoaded (the real one evicts by memory). One server-wide request
// limit (--max-concurrent-requests, default 8); status is global.
import type { RequestContext } from '../http/context.ts';
import { sendJson } from '../http/respond.ts';
import { unixSeconds } from '../core/ids.ts';
import type { ResidentModel } from '../core/residency.ts';
import type { OpenAIDialect } from '../openai/dialect.ts';
import { inferenceRoutes } from '../openai/routes.ts';
import type { KindDefinition } from './kind.ts';

const GB = 1024 ** 3;

function omlxError(status: number, message: string, type: string): { status: number; body: unknown } {
  return { status, body: { error: { message, type, param: null, code: null } } };
}

function gbString(bytes: number): string {
  return `${(bytes / GB).toFixed(2)}GB`;
}

export const omlxKind: KindDefinition = {
  defaults: { maxLoaded: Number.POSITIVE_INFINITY, slots: 8, slotScope: 'server', warmAtStart: false },
  create({ settings, engine, startedAt }) {
    const residency = engine.residency;
    const defaultModel = settings.models[0]?.id ?? '';
    const bytes = (m: ResidentModel): number => Math.round(m.sizeGB * GB);
    const loaded = (): ResidentModel[] => residency.resident();
    const usedMemory = (): number => loaded().reduce((s, m) => s + bytes(m), 0);
    // The memory limit the LRU enforces: all models if unlimited, else the largest maxLoaded of them.
    const maxMemory = residency
      .list()
      .map(bytes)
      .sort((a, b) => b - a)
      .slice(0, Number.isFinite(settings.maxLoaded) ? settings.maxLoaded : undefined)
      .reduce((s, b) => s + b, 0);

    const dialect: OpenAIDialect = {
      flavor: 'openai',
      headers: {},
      resolveModel(body) {
        const name = typeof body.model === 'string' && body.model !== '' ? body.model : defaultModel;
        if (!residency.has(name)) {
          const available = residency.list().map((m) => m.id).join(', ');
          return omlxError(404, `Model '${name}' not found. Available models: ${available}`, 'not_found_error');
        }
        return { id: name, name };
      },
      malformedJson: (detail) => omlxError(400, detail, 'invalid_request_error'),
      invalidRequest: (message) => omlxError(400, message, 'invalid_request_error'),
    };

    const modelStatus = (m: ResidentModel): Record<string, unknown> => ({
      id: m.id,
      model_path: `/models/${m.id}`,
      loaded: m.state === 'warm' || m.state === 'draining',
      is_loading: m.state === 'loading',
      estimated_size: bytes(m),
      pinned: false,
      engine_type: 'batched',
      model_type: 'llm',
      config_model_type: 'llama',
      last_access: m.lastUsedAt === null ? null : m.lastUsedAt / 1000,
      max_context_window: 32768,
      max_tokens: 32768,
    });

    const status = (ctx: RequestContext): void => {
      const stats = engine.stats();
      sendJson(ctx.res, 200, {
        status: 'ok',
        version: '0.3.0',
        uptime_seconds: (Date.now() - startedAt) / 1000,
        models_discovered: residency.list().length,
        models_loaded: loaded().length,
        models_loading: stats.loading.length,
        default_model: defaultModel,
        loaded_models: loaded().map((m) => m.id),
        total_requests: stats.requests,
        active_requests: stats.active,
        waiting_requests: stats.queued,
        total_prompt_tokens: engine.promptTokens,
        total_completion_tokens: engine.tokensGenerated,
        total_cached_tokens: 0,
        cache_efficiency: 0,
        avg_prefill_tps: 0,
        avg_generation_tps: 0,
        model_memory_used: usedMemory(),
        model_memory_max: maxMemory,
        model_memory_used_formatted: gbString(usedMemory()),
        model_memory_max_formatted: gbString(maxMemory),
      });
    };

    return {
      routes: [
        ...inferenceRoutes(engine, dialect),
        {
          method: 'GET',
          path: '/health',
          handler: (ctx) =>
            sendJson(ctx.res, 200, {
              status: 'healthy',
              default_model: defaultModel,
              engine_pool: { model_count: residency.list().length, loaded_count: loaded().length, max_model_memory: maxMemory, current_model_memory: usedMemory() },
              mcp: null,
            }),
        },
        { method: 'GET', path: '/api/status', handler: status },
        {
          method: 'GET',
          path: '/v1/models',
          handler: (ctx) =>
            sendJson(ctx.res, 200, {
              object: 'list',
              data: residency.list().map((m) => ({ id: m.id, object: 'model', created: unixSeconds(startedAt), owned_by: 'omlx' })),
            }),
        },
        {
          method: 'GET',
          path: '/v1/models/status',
          handler: (ctx) =>
            sendJson(ctx.res, 200, {
              max_model_memory: maxMemory,
              current_model_memory: usedMemory(),
              model_count: residency.list().length,
              loaded_count: loaded().length,
              models: residency.list().map(modelStatus),
            }),
        },
        {
          method: 'POST',
          path: /^\/v1\/models\/(.+)\/unload$/,
          handler: (ctx, [id]) => {
            if (!id || !residency.has(id)) {
              sendJson(ctx.res, 404, omlxError(404, `Model '${id ?? ''}' not found`, 'not_found_error').body);
              return;
            }
            if (residency.get(id).state !== 'warm') {
              sendJson(ctx.res, 400, omlxError(400, `Model not loaded: ${id}`, 'invalid_request_error').body);
              return;
            }
            residency.unload(id);
            sendJson(ctx.res, 200, { status: 'ok', model_id: id });
          },
        },
      ],
      notFound: (ctx) => sendJson(ctx.res, 404, { detail: 'Not Found' }),
    };
  },
};

