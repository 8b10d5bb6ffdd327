// llama.cpp `llama-server` in router mode (--models-dir, --models-max N): one
// child instance per loaded model, each with its own slots. A request for a
// cold model loads it (evicting the least recently used at --models-max)
// unless `?autoload=false`; GET probes carry the model in `?model=`.
import type { RequestContext } from '../http/context.ts';
import { isObject } from '../http/context.ts';
import { sendJson } from '../http/respond.ts';
import { unixSeconds } from '../core/ids.ts';
import type { ResidentModel } from '../core/residency.ts';
import { isAbortError } from '../core/delay.ts';
import { llamaError } from '../openai/dialect.ts';
import { inferenceRoutes } from '../openai/routes.ts';
import type { KindDefinition, SimCore } from './kind.ts';
import { LLAMA_HEADERS, llamaDialect, sendFileNotFound, sendLlamaError, sendOk } from './llama-cpp/dialect.ts';
import { modelMeta } from './llama-cpp/model-info.ts';
import { instanceProps, routerProps } from './llama-cpp/props.ts';
import { sendMetrics, sendSlots } from './llama-cpp/slots.ts';
import { modelEventsRoute } from './llama-cpp/model-events.ts';

/** Router `status.value`: an instance being stopped is already gone for the router. */
export function routerStatus(m: ResidentModel): 'loaded' | 'loading' | 'unloaded' {
  if (m.state === 'warm' || m.state === 'draining') return 'loaded';
  if (m.state === 'loading') return 'loading';
  return 'unloaded';
}

function routerEntry(m: ResidentModel, created: number, port: number): Record<string, unknown> {
  const status = routerStatus(m);
  const args = ['llama-server', '--host', '127.0.0.1', '--port', String(status === 'unloaded' ? 0 : port), '--alias', m.id, '--model', `/models/${m.id}.gguf`];
  return {
    id: m.id,
    aliases: [],
    tags: [],
    object: 'model',
    owned_by: 'llamacpp',
    created,
    status: { value: status, args, preset: `[${m.id}]\nmodel = /models/${m.id}.gguf\n\n` },
    architecture: { input_modalities: ['text'], output_modalities: ['text'] },
    source: 'models_dir',
    can_remove: false,
    ...(status === 'loaded' ? { meta: modelMeta(m) } : {}),
  };
}

/**
 * Resolve `?model=` of a GET probe to a warm instance, loading it first unless
 * `autoload=false`. Answers the error itself and returns undefined on failure.
 */
async function probeTarget(ctx: RequestContext, core: SimCore): Promise<ResidentModel | undefined> {
  const name = ctx.url.searchParams.get('model');
  if (!name) {
    sendLlamaError(ctx, 400, 'model name is missing from the request', 'invalid_request_error');
    return undefined;
  }
  if (!core.engine.residency.has(name)) {
    sendLlamaError(ctx, 400, `model '${name}' not found`, 'invalid_request_error');
    return undefined;
  }
  const m = core.engine.residency.get(name);
  if (m.state === 'warm') return m;
  if (ctx.url.searchParams.get('autoload') === 'false') {
    sendLlamaError(ctx, 400, 'model is not loaded', 'invalid_request_error');
    return undefined;
  }
  try {
    const release = await core.engine.residency.acquire(name, ctx.signal);
    release();
  } catch (err) {
    if (isAbortError(err)) return undefined;
    throw err;
  }
  return m;
}

function modelFromBody(body: unknown): string | undefined {
  return isObject(body) && typeof body.model === 'string' ? body.model : undefined;
}

export const llamaServerRouterKind: KindDefinition = {
  defaults: { maxLoaded: 4, slots: 4, slotScope: 'model', warmAtStart: false },
  create(core) {
    const { settings, engine, startedAt } = core;
    const residency = engine.residency;
    const created = unixSeconds(startedAt);
    const ports = new Map(settings.models.map((m, i) => [m.id, 41000 + i]));
    const dialect = llamaDialect((body, ctx) => {
      const name = modelFromBody(body);
      if (!name) return llamaError(400, 'model name is missing from the request', 'invalid_request_error');
      if (!residency.has(name)) return llamaError(400, `model '${name}' not found`, 'invalid_request_error');
      if (ctx.url.searchParams.get('autoload') === 'false' && residency.get(name).state !== 'warm') {
        return llamaError(400, 'model is not loaded', 'invalid_request_error');
      }
      return { id: name, name };
    });
    const listModels = (ctx: RequestContext): void =>
      sendJson(ctx.res, 200, { data: residency.list().map((m) => routerEntry(m, created, ports.get(m.id) ?? 0)), object: 'list' }, LLAMA_HEADERS);

    const loadOrUnload = async (ctx: RequestContext, action: 'load' | 'unload'): Promise<void> => {
      const parsed = await ctx.json();
      const name = parsed.ok ? modelFromBody(parsed.value) : undefined;
      if (!name) {
        sendLlamaError(ctx, 400, 'model name is missing from the request', 'invalid_request_error');
        return;
      }
      if (!residency.has(name)) {
        if (action === 'load') sendFileNotFound(ctx);
        else sendLlamaError(ctx, 400, 'model is not found', 'invalid_request_error');
        return;
      }
      const status = routerStatus(residency.get(name));
      if (action === 'load') {
        if (status !== 'unloaded') {
          sendLlamaError(ctx, 400, 'model is already running', 'invalid_request_error');
          return;
        }
        // Asynchronous like the real router: poll GET /models for the status.
        void residency.load(name);
      } else {
        if (status !== 'loaded') {
          sendLlamaError(ctx, 400, 'model is not running', 'invalid_request_error');
          return;
        }
        residency.unload(name);
      }
      sendJson(ctx.res, 200, { success: true }, LLAMA_HEADERS);
    };

    return {
      routes: [
        ...inferenceRoutes(engine, dialect, { versionless: true }),
        { method: 'GET', path: '/health', handler: sendOk },
        { method: 'GET', path: '/v1/health', handler: sendOk },
        { method: 'GET', path: '/models', handler: listModels },
        { method: 'GET', path: '/v1/models', handler: listModels },
        { method: 'POST', path: '/models/load', handler: (ctx) => loadOrUnload(ctx, 'load') },
        { method: 'POST', path: '/models/unload', handler: (ctx) => loadOrUnload(ctx, 'unload') },
        modelEventsRoute(residency),
        {
          method: 'GET',
          path: '/props',
          handler: async (ctx) => {
            if (!ctx.url.searchParams.has('model')) {
              sendJson(ctx.res, 200, routerProps(settings.maxLoaded), LLAMA_HEADERS);
              return;
            }
            const m = await probeTarget(ctx, core);
            if (m) sendJson(ctx.res, 200, instanceProps(m.id, settings.slots), LLAMA_HEADERS);
          },
        },
        {
          method: 'GET',
          path: '/slots',
          handler: async (ctx) => {
            const m = await probeTarget(ctx, core);
            if (m) sendSlots(ctx, engine.pool(m.id));
          },
        },
        {
          method: 'GET',
          path: '/metrics',
          handler: async (ctx) => {
            const m = await probeTarget(ctx, core);
            if (!m) return;
            const pool = engine.pool(m.id);
            sendMetrics(
              ctx,
              { promptTokens: engine.promptTokens, tokensPredicted: engine.tokensGenerated, processing: pool.active, deferred: pool.queued },
              startedAt,
            );
          },
        },
      ],
      notFound: sendFileNotFound,
    };
  },
};
