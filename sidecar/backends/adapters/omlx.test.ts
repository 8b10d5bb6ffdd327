import { describe, expect, it } from 'vitest';

import { omlxAdapter } from './omlx.ts';
import { fakeHttp, json, specFor } from './test-support.ts';

const statusModel = (id: string, loaded: boolean, extra: Record<string, unknown> = {}) => ({
  id,
  model_path: `/Users/me/models/${id}`,
  loaded,
  is_loading: false,
  estimated_size: 17179869184,
  pinned: false,
  engine_type: 'batched',
  model_type: 'llm',
  config_model_type: 'qwen3_moe',
  last_access: loaded ? 1766000123.45 : null,
  max_context_window: 262144,
  max_tokens: 32768,
  ...extra,
});
const MODELS_STATUS = json(200, {
  max_model_memory: 34359738368,
  current_model_memory: 17179869184,
  model_count: 3,
  loaded_count: 1,
  models: [statusModel('Qwen3-Coder-30B-A3B-4bit', true), statusModel('bge-m3', false, { estimated_size: 1200000000 }), statusModel('gemma', false, { is_loading: true })],
});
const API_STATUS = json(200, {
  status: 'ok',
  version: '0.x',
  uptime_seconds: 1234.5,
  models_discovered: 3,
  models_loaded: 1,
  models_loading: 1,
  default_model: 'Qwen3-Coder-30B-A3B-4bit',
  loaded_models: ['Qwen3-Coder-30B-A3B-4bit'],
  total_requests: 42,
  active_requests: 2,
  waiting_requests: 1,
  model_memory_used: 17179869184,
  model_memory_max: 34359738368,
});

describe('omlx', () => {
  it('loaded / is_loading per model, memory budget, server-wide request counts', async () => {
    const snap = await omlxAdapter.probe(fakeHttp({ '/v1/models/status': MODELS_STATUS, '/api/status': API_STATUS }), specFor('omlx'));
    expect(snap).toEqual({
      healthy: true,
      knowsLoaded: true,
      loading: true,
      models: [
        { id: 'Qwen3-Coder-30B-A3B-4bit', state: 'warm', sizeBytes: 17179869184 },
        { id: 'bge-m3', state: 'cold', sizeBytes: 1200000000 },
        { id: 'gemma', state: 'loading', sizeBytes: 17179869184 },
      ],
      memory: { totalBytes: 34359738368, usedBytes: 17179869184, freeBytes: 17179869184 },
      inFlight: 2,
      queued: 1,
    });
  });

  it('newer budget name (final_ceiling) and a fork with a state enum; /api/status missing', async () => {
    const http = fakeHttp({
      '/v1/models/status': json(200, {
        final_ceiling: 1000,
        current_model_memory: 400,
        models: [
          { id: 'a', state: 'loaded', estimated_size: 400 },
          { id: 'b', state: 'unloaded' },
        ],
      }),
    });
    const snap = await omlxAdapter.probe(http, specFor('omlx'));
    expect(snap).toMatchObject({ healthy: true, loading: false, memory: { totalBytes: 1000, usedBytes: 400, freeBytes: 600 } });
    expect(snap.models).toEqual([
      { id: 'a', state: 'warm', sizeBytes: 400 },
      { id: 'b', state: 'cold' },
    ]);
    expect(snap.inFlight).toBeUndefined();
  });

  it('an entry with neither loaded nor state is a wrong shape: unhealthy', async () => {
    const snap = await omlxAdapter.probe(fakeHttp({ '/v1/models/status': json(200, { models: [{ id: 'a' }] }) }), specFor('omlx'));
    expect(snap.healthy).toBe(false);
    expect(snap.error).toContain('/v1/models/status');
  });
});
