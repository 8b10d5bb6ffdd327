// GET /models/sse of the llama.cpp router: one `model_status` when a load
// starts, then `status_change` events (progress 0 and 1, "loaded" with the
// model info, "unloaded" with an exit code), as recorded.
import type { Route } from '../../http/routes.ts';
import { SseWriter } from '../../http/respond.ts';
import type { Residency, ResidentModel } from '../../core/residency.ts';
import { LLAMA_HEADERS } from './dialect.ts';
import { modelMeta } from './model-info.ts';

function progress(value: number): Record<string, unknown> {
  return { status: 'loading', progress: { stages: ['text_model'], current: 'text_model', value } };
}

export function modelEventsRoute(residency: Residency): Route {
  return {
    method: 'GET',
    path: '/models/sse',
    handler: (ctx) =>
      new Promise<void>((resolve) => {
        const sse = new SseWriter(ctx.res, LLAMA_HEADERS);
        const send = (m: ResidentModel, event: string, data: Record<string, unknown>): void => sse.send({ model: m.id, event, data });
        // Headers go out now so a client sees the stream open before any event.
        sse.open();
        const off = residency.onChange((m, previous) => {
          if (m.state === 'loading') {
            send(m, 'model_status', { status: 'loading' });
            send(m, 'status_change', progress(0));
          } else if (m.state === 'warm') {
            if (previous === 'loading') send(m, 'status_change', progress(1));
            send(m, 'status_change', {
              status: 'loaded',
              info: { id: m.id, aliases: [m.id], tags: [], object: 'model', created: Math.floor(Date.now() / 1000), owned_by: 'llamacpp', meta: modelMeta(m) },
            });
          } else if (m.state === 'cold') {
            send(m, 'status_change', { status: 'unloaded', exit_code: 0 });
          }
        });
        ctx.signal.addEventListener('abort', () => {
          off();
          resolve();
        });
      }),
  };
}
