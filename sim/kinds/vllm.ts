// vLLM: one model per process, loaded at start, many sequences at once
// (--max-num-seqs, default 256). Sleep mode: POST /sleep frees the weights at
// once, POST /wake_up restores them (much faster than a cold load); requests
// that arrive while asleep wait for the wake-up. `loaded: false` in the spec
// starts the server asleep.
import type { RequestContext } from '../http/context.ts';
import { sendJson, sendText } from '../http/respond.ts';
import { unixSeconds } from '../core/ids.ts';
import type { ApiError, OpenAIDialect } from '../openai/dialect.ts';
import { inferenceRoutes } from '../openai/routes.ts';
import type { KindDefinition } from './kind.ts';

/** Waking from sleep level 1 copies weights back from CPU memory: a fraction of a disk load. */
const WAKE_SPEEDUP = 4;

function vllmError(status: number, message: string, type: string, param: string | null = null): ApiError {
  return { status, body: { error: { message, type, param, code: status } } };
}

export const vllmKind: KindDefinition = {
  defaults: { maxLoaded: 1, slots: 256, slotScope: 'server', warmAtStart: true },
  create({ settings, engine, startedAt }) {
    const only = settings.models[0];
    if (!only || settings.models.length > 1) throw new Error('vllm serves exactly one model per server');
    const residency = engine.residency;
    const model = residency.get(only.id);
    // Still asleep while waking: is_sleeping flips once the weights are back.
    const sleeping = (): boolean => model.state !== 'warm' && model.state !== 'draining';
    const wakeMs = ((only.sizeGB / (settings.loadGBps * WAKE_SPEEDUP)) * 1000 + settings.loadInitMs / 10) * settings.timeScale;

    const dialect: OpenAIDialect = {
      flavor: 'openai',
      headers: {},
      resolveModel(body) {
        const name = typeof body.model === 'string' && body.model !== '' ? body.model : model.id;
        if (name !== model.id) return vllmError(404, `The model \`${name}\` does not exist.`, 'NotFoundError', 'model');
        return { id: model.id, name };
      },
      malformedJson: (detail) => vllmError(400, detail, 'BadRequestError'),
      invalidRequest: (message) => vllmError(400, message, 'BadRequestError'),
      // Asleep = no autoload: the request waits for /wake_up.
      waitForWarm: () => true,
    };

    const metrics = (ctx: RequestContext): void => {
      const pool = engine.pool(model.id);
      const labels = `engine="0",model_name="${model.id}"`;
      const gauge = (name: string, help: string, value: number, extra = ''): string =>
        `# HELP vllm:${name} ${help}\n# TYPE vllm:${name} gauge\nvllm:${name}{${labels}${extra}} ${value.toFixed(1)}\n`;
      const counter = (name: string, help: string, value: number): string =>
        `# HELP vllm:${name} ${help}\n# TYPE vllm:${name} counter\nvllm:${name}{${labels}} ${value.toFixed(1)}\n`;
      const text =
        gauge('num_requests_running', 'Number of requests in model execution batches.', pool.active) +
        gauge('num_requests_waiting', 'Number of requests waiting to be processed.', pool.queued + engine.waitingForLoad(model.id)) +
        gauge('kv_cache_usage_perc', 'KV-cache usage. 1 means 100 percent usage.', pool.active / pool.size) +
        gauge('engine_sleep_state', 'Engine sleep state (1 on the current state).', sleeping() ? 0 : 1, ',sleep_state="awake"') +
        gauge('engine_sleep_state', 'Engine sleep state (1 on the current state).', sleeping() ? 1 : 0, ',sleep_state="weights_offloaded"') +
        counter('prompt_tokens_total', 'Number of prefill tokens processed.', engine.promptTokens) +
        counter('generation_tokens_total', 'Number of generation tokens processed.', engine.tokensGenerated);
      sendText(ctx.res, 200, text, 'text/plain; version=0.0.4; charset=utf-8');
    };

    return {
      routes: [
        ...inferenceRoutes(engine, dialect),
        { method: 'GET', path: '/health', handler: (ctx) => sendText(ctx.res, 200, '', 'application/json') },
        { method: 'GET', path: '/ping', handler: (ctx) => sendText(ctx.res, 200, '', 'application/json') },
        {
          method: 'GET',
          path: '/v1/models',
          handler: (ctx) =>
            sendJson(ctx.res, 200, {
              object: 'list',
              data: [
                {
                  id: model.id,
                  object: 'model',
                  created: unixSeconds(startedAt),
                  owned_by: 'vllm',
                  root: model.id,
                  parent: null,
                  max_model_len: 32768,
                  permission: [{ id: `modelperm-${model.id}`, object: 'model_permission', created: unixSeconds(startedAt), allow_sampling: true, allow_logprobs: true, organization: '*', group: null, is_blocking: false }],
                },
              ],
            }),
        },
        { method: 'GET', path: '/metrics', handler: metrics },
        { method: 'GET', path: '/is_sleeping', handler: (ctx) => sendJson(ctx.res, 200, { is_sleeping: sleeping() }) },
        {
          method: 'POST',
          path: '/sleep',
          handler: (ctx) => {
            residency.unload(model.id);
            sendText(ctx.res, 200, '', 'application/json');
          },
        },
        {
          method: 'POST',
          path: '/wake_up',
          handler: async (ctx) => {
            if (sleeping()) await residency.load(model.id, wakeMs);
            sendText(ctx.res, 200, '', 'application/json');
          },
        },
      ],
      notFound: (ctx) => sendJson(ctx.res, 404, { detail: 'Not Found' }),
    };
  },
};
