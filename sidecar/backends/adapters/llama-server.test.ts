import { describe, expect, it } from 'vitest';

import { llamaServerAdapter } from './llama-server.ts';
import { fakeHttp, json, recorded, specFor, text } from './test-support.ts';

const spec = specFor('llama-server');
const LOADING_503 = json(503, { error: { message: 'Loading model', type: 'unavailable_error', code: 503 } });

describe('llama-server single model, recorded answers', () => {
  const idle = {
    '/health': recorded('llama-server/GET_health.http'),
    '/v1/models': recorded('llama-server/GET_v1_models.http'),
    '/props': recorded('llama-server/GET_props.http'),
    '/slots': recorded('llama-server/GET_slots.http'),
    '/metrics': recorded('llama-server/GET_metrics.http'),
  };

  it('an idle server: its one model warm, two free slots', async () => {
    const snap = await llamaServerAdapter.probe(fakeHttp(idle), spec);
    expect(snap).toEqual({
      healthy: true,
      knowsLoaded: true,
      loading: false,
      models: [{ id: 'tiny-a', state: 'warm', sizeBytes: 85755904, slots: 2, busySlots: 0 }],
      slots: 2,
      busySlots: 0,
      inFlight: 0,
      queued: 0,
    });
  });

  it('three requests on two slots: both slots busy, one request deferred', async () => {
    const http = fakeHttp({ ...idle, '/slots': recorded('llama-server/GET_slots_busy.http'), '/metrics': recorded('llama-server/GET_metrics_busy.http') });
    const snap = await llamaServerAdapter.probe(http, spec);
    expect(snap).toMatchObject({ healthy: true, slots: 2, busySlots: 2, inFlight: 2, queued: 1 });
    expect(snap.models[0]).toMatchObject({ id: 'tiny-a', state: 'warm', busySlots: 2 });
  });

  it('without --metrics and with --no-slots: capacity from /props, in-flight unknown', async () => {
    const http = fakeHttp({
      ...idle,
      '/slots': json(501, { error: { code: 501, message: 'This server does not support slots endpoint.', type: 'not_supported_error' } }),
      '/metrics': json(501, { error: { code: 501, message: 'This server does not support metrics endpoint.', type: 'not_supported_error' } }),
    });
    const snap = await llamaServerAdapter.probe(http, spec);
    expect(snap).toMatchObject({ healthy: true, slots: 2 });
    expect(snap.busySlots).toBeUndefined();
    expect(snap.inFlight).toBeUndefined();
  });
});

describe('llama-server single model, documented shapes', () => {
  const loadingModels = json(200, { object: 'list', data: [{ id: 'qwen2.5-7b', object: 'model', created: 1, owned_by: 'llamacpp', meta: null }] });

  it('while loading: the model is loading and the server takes no traffic yet', async () => {
    const http = fakeHttp({ '/health': LOADING_503, '/v1/models': loadingModels, '/props': LOADING_503, '/slots': LOADING_503, '/metrics': LOADING_503 });
    const snap = await llamaServerAdapter.probe(http, spec);
    expect(snap).toMatchObject({ healthy: false, loading: true, error: 'Loading model', models: [{ id: 'qwen2.5-7b', state: 'loading' }] });
    // Nothing more to learn while loading: no per-slot requests.
    expect(http.requests).not.toContain('/slots');
  });

  it('older builds: 503 {"status":"loading model"} also means loading', async () => {
    const http = fakeHttp({ '/health': json(503, { status: 'loading model' }), '/v1/models': loadingModels });
    expect(await llamaServerAdapter.probe(http, spec)).toMatchObject({ loading: true, models: [{ state: 'loading' }] });
  });

  it('sleep mode: up, but the weights are gone', async () => {
    const http = fakeHttp({
      '/health': json(200, { status: 'ok' }),
      '/v1/models': json(200, { data: [{ id: 'qwen2.5-7b', meta: { size: 4683073536 } }] }),
      '/props': json(200, { total_slots: 4, is_sleeping: true }),
    });
    const snap = await llamaServerAdapter.probe(http, spec);
    expect(snap).toMatchObject({ healthy: true, sleeping: true, slots: 4, models: [{ id: 'qwen2.5-7b', state: 'cold', sizeBytes: 4683073536 }] });
  });

  it('old /slots shape with `state` instead of `is_processing`', async () => {
    const http = fakeHttp({
      '/health': json(200, { status: 'ok' }),
      '/v1/models': json(200, { data: [{ id: 'm' }] }),
      '/slots': json(200, [{ id: 0, state: 1 }, { id: 1, state: 0 }, { id: 2, state: 1 }]),
    });
    expect(await llamaServerAdapter.probe(http, spec)).toMatchObject({ slots: 3, busySlots: 2, inFlight: 2 });
  });

  it('reports the --alias the policy lists when the server id is the model path', async () => {
    const http = fakeHttp({
      '/health': json(200, { status: 'ok' }),
      '/v1/models': json(200, { data: [{ id: '/models/qwen.gguf', aliases: ['qwen'] }] }),
    });
    const snap = await llamaServerAdapter.probe(http, specFor('llama-server', { models: ['qwen'] }));
    expect(snap.models).toEqual([{ id: 'qwen', state: 'warm' }]);
  });

  it('a server that does not answer /health is down', async () => {
    const http = fakeHttp({ '/health': new Error('connect ECONNREFUSED 127.0.0.1:8080'), '/v1/models': new Error('connect ECONNREFUSED 127.0.0.1:8080') });
    const snap = await llamaServerAdapter.probe(http, spec);
    expect(snap.healthy).toBe(false);
    expect(snap.error).toContain('ECONNREFUSED');
  });
});

describe('llama-server router mode, recorded answers', () => {
  const router = (models: string, extra: Record<string, ReturnType<typeof recorded>> = {}) =>
    fakeHttp({
      '/health': json(200, { status: 'ok' }),
      '/v1/models': recorded(`llama-server-router/${models}`),
      '/props': recorded('llama-server-router/GET_props.http'),
      ...extra,
    });

  it('GET /models with tiny-c loaded: c warm with its slots, d cold, and d is never asked about', async () => {
    const http = router('GET_models_c_loaded.http', { '/slots?model=tiny-c&autoload=false': recorded('llama-server-router/GET_slots_model_c.http') });
    const snap = await llamaServerAdapter.probe(http, spec);
    expect(snap).toEqual({
      healthy: true,
      knowsLoaded: true,
      loading: false,
      models: [
        { id: 'tiny-c', state: 'warm', sizeBytes: 558336, slots: 4, busySlots: 0 },
        { id: 'tiny-d', state: 'cold' },
      ],
      slots: 4,
      busySlots: 0,
      inFlight: 0,
      maxModels: 1,
      loadsOnDemand: true,
    });
    expect(http.requests.filter((p) => p.includes('tiny-d'))).toEqual([]);
  });

  it('every per-model GET carries autoload=false (a probe must never load a model)', async () => {
    const http = router('GET_models_after_swap.http');
    await llamaServerAdapter.probe(http, spec);
    const perModel = http.requests.filter((p) => p.includes('model='));
    expect(perModel.length).toBeGreaterThan(0);
    for (const p of perModel) expect(p).toMatch(/[?&]autoload=false(&|$)/);
  });

  it('after the swap: c cold, d warm; d unloading between the two GETs ("model is not loaded") is no error', async () => {
    const http = router('GET_models_after_swap.http', {
      '/slots?model=tiny-d&autoload=false': recorded('llama-server-router/GET_slots_model_d_cold_noautoload.http'),
    });
    const snap = await llamaServerAdapter.probe(http, spec);
    expect(snap.healthy).toBe(true);
    expect(snap.models).toEqual([
      { id: 'tiny-c', state: 'cold' },
      { id: 'tiny-d', state: 'warm', sizeBytes: 558336 },
    ]);
    expect(snap.slots).toBeUndefined();
  });

  it('nothing loaded: both cold, no per-model GETs', async () => {
    const http = router('GET_models_none_loaded.http');
    const snap = await llamaServerAdapter.probe(http, spec);
    expect(snap.models.map((m) => [m.id, m.state])).toEqual([
      ['tiny-c', 'cold'],
      ['tiny-d', 'cold'],
    ]);
    expect(http.requests.some((p) => p.includes('model='))).toBe(false);
  });

  it('per-model metrics of a busy child give in-flight and queued', async () => {
    const http = router('GET_models_c_loaded.http', {
      '/slots?model=tiny-c&autoload=false': recorded('llama-server/GET_slots_busy.http'),
      '/metrics?model=tiny-c&autoload=false': recorded('llama-server/GET_metrics_busy.http'),
    });
    const snap = await llamaServerAdapter.probe(http, spec);
    expect(snap).toMatchObject({ slots: 2, busySlots: 2, inFlight: 2, queued: 1 });
    expect(snap.models[0]).toMatchObject({ id: 'tiny-c', busySlots: 2 });
  });
});

describe('llama-server router mode, documented shapes and versions', () => {
  const entry = (id: string, status: Record<string, unknown>) => ({ id, object: 'model', owned_by: 'llamacpp', created: 1, status: { args: ['llama-server'], ...status } });

  it('loading, sleeping, downloading, failed and unknown statuses', async () => {
    const http = fakeHttp({
      '/v1/models': json(200, {
        object: 'list',
        data: [
          entry('a', { value: 'loading' }),
          entry('b', { value: 'sleeping' }),
          entry('c', { value: 'downloading', progress: { 'https://x/model.gguf': { done: 1, total: 2 } } }),
          entry('d', { value: 'unloaded', failed: true, exit_code: 1 }),
          entry('e', { value: 'hibernating' }),
        ],
      }),
      '/props': json(200, { role: 'router', max_instances: 0, models_autoload: false, ui_settings: {} }),
    });
    const snap = await llamaServerAdapter.probe(http, spec);
    expect(snap.healthy).toBe(true);
    expect(snap.loading).toBe(true);
    expect(snap.models.map((m) => [m.id, m.state])).toEqual([
      ['a', 'loading'],
      ['b', 'cold'],
      ['c', 'cold'],
      ['d', 'cold'],
      ['e', 'cold'],
    ]);
    // --models-max 0 = no limit; autoload off is reported.
    expect(snap.maxModels).toBeUndefined();
    expect(snap.loadsOnDemand).toBe(false);
  });

  it('older router: entries without aliases/architecture, dummy max_instances next to webui_settings', async () => {
    const http = fakeHttp({
      '/v1/models': json(200, { data: [entry('a', { value: 'loaded' })] }),
      '/props': json(200, { role: 'router', max_instances: 4, webui_settings: {} }),
      '/slots?model=a&autoload=false': json(200, [{ id: 0, is_processing: true }]),
    });
    const snap = await llamaServerAdapter.probe(http, spec);
    expect(snap.models).toEqual([{ id: 'a', state: 'warm', slots: 1, busySlots: 1 }]);
    expect(snap.maxModels).toBeUndefined();
  });

  it('a router with no models is recognised by /props role', async () => {
    const http = fakeHttp({ '/v1/models': json(200, { data: [], object: 'list' }), '/props': recorded('llama-server-router/GET_props.http') });
    const snap = await llamaServerAdapter.probe(http, spec);
    expect(snap).toMatchObject({ healthy: true, models: [], maxModels: 1 });
    expect(http.requests).not.toContain('/slots');
  });

  it('model names with URL characters are encoded in the query', async () => {
    const http = fakeHttp({ '/v1/models': json(200, { data: [entry('ggml-org/gemma-3-4b-it-GGUF:Q4_K_M', { value: 'loaded' })] }) });
    await llamaServerAdapter.probe(http, spec);
    expect(http.requests).toContain('/slots?model=ggml-org%2Fgemma-3-4b-it-GGUF%3AQ4_K_M&autoload=false');
  });

  it('a garbage /v1/models answer is an unhealthy snapshot', async () => {
    const http = fakeHttp({ '/health': json(200, { status: 'ok' }), '/v1/models': text(200, '<html>proxy error</html>') });
    const snap = await llamaServerAdapter.probe(http, spec);
    expect(snap).toMatchObject({ healthy: false, models: [] });
    expect(snap.error).toContain('/v1/models');
  });
});
