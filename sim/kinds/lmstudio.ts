// LM Studio's server: JIT-loads a requested model (blocking); Auto-Evict keeps
// one JIT-loaded model by default (maxLoaded 1). REST v0 reports state
// loaded / not-loaded; the v1 REST lists loaded instances with their parallel.
import type { RequestContext } from '../http/context.ts';
import { isObject } from '../http/context.ts';
import { sendJson } from '../http/respond.ts';
import type { ResidentModel } from '../core/residency.ts';
import { isAbortError } from '../core/delay.ts';
import type { ApiError, OpenAIDialect } from '../openai/dialect.ts';
import { inferenceRoutes } from '../openai/routes.ts';
import type { KindDefinition } from './kind.ts';

const GB = 1024 ** 3;

function lmError(status: number, message: string, code: string | null, param: string | null = null): ApiError {
  return { status, body: { error: { message, type: 'invalid_request_error', param, code } } };
}

function isLoaded(m: ResidentModel): boolean {
  return m.state === 'warm' || m.state === 'draining';
}

export const lmstudioKind: KindDefinition = {
  defaults: { maxLoaded: 1, slots: 4, slotScope: 'model', warmAtStart: false },
  create({ settings, engine }) {
    const residency = engine.residency;
    const dialect: OpenAIDialect = {
      flavor: 'openai',
      headers: {},
      resolveModel(body) {
        if (typeof body.model !== 'string' || body.model === '') {
          // Without a model LM Studio answers with whatever is loaded.
          const current = residency.resident()[0];
          return current ? { id: current.id, name: current.id } : lmError(400, 'No models loaded. Please load a model first.', 'model_not_found', 'model');
        }
        if (!residency.has(body.model)) return lmError(404, `Model "${body.model}" not found.`, 'model_not_found', 'model');
        return { id: body.model, name: body.model };
      },
      malformedJson: (detail) => lmError(400, detail, null),
      invalidRequest: (message) => lmError(400, message, null),
    };
    const v0Entry = (m: ResidentModel): Record<string, unknown> => ({
      id: m.id,
      object: 'model',
      type: 'llm',
      publisher: 'lmstudio-community',
      arch: 'llama',
      compatibility_type: 'gguf',
      quantization: 'Q4_K_M',
      state: isLoaded(m) ? 'loaded' : 'not-loaded',
      max_context_length: 32768,
    });
    const v1Entry = (m: ResidentModel): Record<string, unknown> => ({
      type: 'llm',
      publisher: 'lmstudio-community',
      key: m.id,
      display_name: m.id,
      architecture: 'llama',
      quantization: { name: 'Q4_K_M', bits_per_weight: 4 },
      size_bytes: Math.round(m.sizeGB * GB),
      params_string: '7B',
      loaded_instances: isLoaded(m) ? [{ id: m.id, config: { context_length: 4096, eval_batch_size: 512, parallel: settings.slots, flash_attention: true } }] : [],
      max_context_length: 32768,
      format: 'gguf',
      capabilities: { vision: false, trained_for_tool_use: false },
      description: null,
    });
    const modelArg = async (ctx: RequestContext, field: string): Promise<string | undefined> => {
      const parsed = await ctx.json();
      const v = parsed.ok && isObject(parsed.value) ? parsed.value[field] : undefined;
      if (typeof v === 'string' && residency.has(v)) return v;
      sendJson(ctx.res, 404, lmError(404, `Model "${String(v)}" not found.`, 'model_not_found', field).body);
      return undefined;
    };
    return {
      routes: [
        ...inferenceRoutes(engine, dialect),
        {
          method: 'GET',
          path: '/v1/models',
          handler: (ctx) => sendJson(ctx.res, 200, { data: residency.list().map((m) => ({ id: m.id, object: 'model', owned_by: 'organization_owner' })), object: 'list' }),
        },
        { method: 'GET', path: '/api/v0/models', handler: (ctx) => sendJson(ctx.res, 200, { object: 'list', data: residency.list().map(v0Entry) }) },
        {
          method: 'GET',
          path: /^\/api\/v0\/models\/(.+)$/,
          handler: (ctx, [id]) => {
            if (id && residency.has(id)) sendJson(ctx.res, 200, v0Entry(residency.get(id)));
            else sendJson(ctx.res, 404, lmError(404, `Model "${id ?? ''}" not found.`, 'model_not_found').body);
          },
        },
        { method: 'GET', path: '/api/v1/models', handler: (ctx) => sendJson(ctx.res, 200, { models: residency.list().map(v1Entry) }) },
        {
          method: 'POST',
          path: '/api/v1/models/load',
          handler: async (ctx) => {
            const id = await modelArg(ctx, 'model');
            if (!id) return;
            const t0 = performance.now();
            try {
              const release = await residency.acquire(id, ctx.signal);
              release();
            } catch (err) {
              if (isAbortError(err)) return;
              throw err;
            }
            sendJson(ctx.res, 200, { type: 'llm', instance_id: id, load_time_seconds: (performance.now() - t0) / 1000, status: 'loaded' });
          },
        },
        {
          method: 'POST',
          path: '/api/v1/models/unload',
          handler: async (ctx) => {
            const id = await modelArg(ctx, 'instance_id');
            if (!id) return;
            residency.unload(id);
            sendJson(ctx.res, 200, { instance_id: id });
          },
        },
      ],
      notFound: (ctx) => sendJson(ctx.res, 200, { error: `Unexpected endpoint or method. (${ctx.method} ${ctx.url.pathname})` }),
    };
  },
};
