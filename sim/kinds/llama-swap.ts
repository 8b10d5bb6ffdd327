// llama-swap in front of llama-server processes, one model at a time by
// default (maxLoaded = models running at once). A request for another model
// swaps: the running process drains and stops, the new one starts, requests
// queue meanwhile. Answers of the upstream llama-server are passed through,
// so inference speaks the llama.cpp flavour; llama-swap's own errors carry
// "src":"llama-swap".
import type { RequestContext } from '../http/context.ts';
import { sendJson, sendText } from '../http/respond.ts';
import { unixSeconds } from '../core/ids.ts';
import type { ModelState, ResidentModel } from '../core/residency.ts';
import type { ApiError, OpenAIDialect } from '../openai/dialect.ts';
import { inferenceRoutes } from '../openai/routes.ts';
import type { KindDefinition } from './kind.ts';
import { LLAMA_HEADERS } from './llama-cpp/dialect.ts';

const START_PORT = 5800;

function swapError(status: number, message: string, type: string, code: string): ApiError {
  return { status, body: { src: 'llama-swap', error: { message, type, param: null, code } }, headers: { 'Content-Type': 'application/json' } };
}

const NO_MODEL = swapError(404, 'no model id could be identified', 'invalid_request_error', 'not_found');
const UNKNOWN_MODEL = swapError(404, 'no router for requested model', 'invalid_request_error', 'not_found');

/** Process state as /running reports it; undefined = stopped (not listed). */
export function processState(state: ModelState): 'starting' | 'ready' | 'stopping' | undefined {
  if (state === 'loading') return 'starting';
  if (state === 'warm' || state === 'draining') return 'ready';
  if (state === 'stopping') return 'stopping';
  return undefined;
}

function sendSwapJson(ctx: RequestContext, body: unknown): void {
  // llama-swap's own JSON is sent as plain application/json (no charset), as recorded.
  sendJson(ctx.res, 200, body, { 'Content-Type': 'application/json' });
}

export const llamaSwapKind: KindDefinition = {
  defaults: { maxLoaded: 1, slots: 4, slotScope: 'model', warmAtStart: false },
  create({ settings, engine, startedAt }) {
    const residency = engine.residency;
    const created = unixSeconds(startedAt);
    const ports = new Map(settings.models.map((m, i) => [m.id, START_PORT + i]));
    const cmd = (m: ResidentModel): string =>
      `llama-server --host 127.0.0.1 --port ${ports.get(m.id) ?? 0} -m /models/${m.id}.gguf --alias ${m.id}`;

    const dialect: OpenAIDialect = {
      flavor: 'llama.cpp',
      headers: LLAMA_HEADERS,
      resolveModel(body, ctx) {
        // llama-swap only looks for the model in JSON bodies.
        if (!(ctx.req.headers['content-type'] ?? '').includes('application/json')) return NO_MODEL;
        if (typeof body.model !== 'string' || body.model === '') return NO_MODEL;
        if (!residency.has(body.model)) return UNKNOWN_MODEL;
        return { id: body.model, name: body.model };
      },
      malformedJson: () => NO_MODEL,
      invalidRequest: (message) => ({ status: 400, body: { error: { code: 400, message, type: 'invalid_request_error' } } }),
    };

    const listModels = (ctx: RequestContext): void =>
      sendSwapJson(ctx, {
        data: residency
          .list()
          .sort((a, b) => a.id.localeCompare(b.id))
          .map((m) => ({
            id: m.id,
            object: 'model',
            created,
            owned_by: 'llama-swap',
            meta: { llamaswap: { type: 'model' } },
            status: { value: processState(m.state) ? 'loaded' : 'unloaded' },
          })),
        object: 'list',
      });

    // /upstream/{model}/{path}: raw passthrough to that model's process, loading (swapping) it first if needed, as the
    // real llama-swap does; the only upstream path simulated is the process's own /health. warmroute pre-warms with it.
    const upstream = async (ctx: RequestContext, [id, path]: string[]): Promise<void> => {
      if (!id || !residency.has(id)) {
        sendJson(ctx.res, UNKNOWN_MODEL.status, UNKNOWN_MODEL.body, UNKNOWN_MODEL.headers);
        return;
      }
      await residency.load(id);
      if (path === 'health') sendJson(ctx.res, 200, { status: 'ok' }, LLAMA_HEADERS);
      else sendJson(ctx.res, 404, { error: { code: 404, message: 'File Not Found', type: 'not_found_error' } }, LLAMA_HEADERS);
    };

    const unloadAll = (): void => {
      for (const m of residency.list()) residency.unload(m.id);
    };

    return {
      routes: [
        ...inferenceRoutes(engine, dialect),
        { method: 'GET', path: '/health', handler: (ctx) => sendText(ctx.res, 200, 'OK', 'text/plain; charset=utf-8') },
        { method: 'GET', path: /^\/upstream\/([^/]+)\/(.*)$/, handler: upstream },
        { method: 'GET', path: '/v1/models', handler: listModels },
        { method: 'GET', path: '/models', handler: listModels },
        {
          method: 'GET',
          path: '/running',
          handler: (ctx) =>
            sendSwapJson(ctx, {
              running: residency
                .list()
                .filter((m) => processState(m.state))
                .sort((a, b) => a.id.localeCompare(b.id))
                .map((m) => ({
                  model: m.id,
                  state: processState(m.state),
                  cmd: cmd(m),
                  proxy: `http://localhost:${ports.get(m.id) ?? 0}`,
                  ttl: 0,
                  name: '',
                  description: '',
                })),
            }),
        },
        {
          method: 'GET',
          path: '/unload',
          handler: (ctx) => {
            unloadAll();
            sendText(ctx.res, 200, 'OK', 'text/plain; charset=utf-8');
          },
        },
        {
          method: 'POST',
          path: '/api/models/unload',
          handler: (ctx) => {
            unloadAll();
            sendSwapJson(ctx, { msg: 'ok' });
          },
        },
        {
          method: 'POST',
          path: /^\/api\/models\/unload\/(.+)$/,
          handler: (ctx, [id]) => {
            if (!id || !residency.has(id)) {
              sendJson(ctx.res, UNKNOWN_MODEL.status, UNKNOWN_MODEL.body, UNKNOWN_MODEL.headers);
              return;
            }
            residency.unload(id);
            sendSwapJson(ctx, { msg: 'ok' });
          },
        },
      ],
      notFound: (ctx) => sendText(ctx.res, 404, '404 page not found', 'text/plain'),
    };
  },
};

