import { describe, expect, it } from 'vitest';

import { fakeHttp, json, text, specFor } from './test-support.ts';
import { vllmAdapter } from './vllm.ts';

const MODELS = json(200, {
  object: 'list',
  data: [
    { id: 'Qwen/Qwen2.5-7B-Instruct', object: 'model', created: 1766000000, owned_by: 'vllm', root: '/models/Qwen2.5-7B-Instruct', parent: null, max_model_len: 32768 },
    { id: 'sql-lora', object: 'model', created: 1766000000, owned_by: 'vllm', root: '/loras/sql', parent: 'Qwen/Qwen2.5-7B-Instruct' },
  ],
});
const metrics = (sleep?: string) =>
  text(
    200,
    [
      '# HELP vllm:num_requests_running Number of requests in model execution batches.',
      '# TYPE vllm:num_requests_running gauge',
      'vllm:num_requests_running{engine="0",model_name="Qwen/Qwen2.5-7B-Instruct"} 3.0',
      '# TYPE vllm:num_requests_waiting gauge',
      'vllm:num_requests_waiting{engine="0",model_name="Qwen/Qwen2.5-7B-Instruct"} 2.0',
      'vllm:kv_cache_usage_perc{engine="0",model_name="Qwen/Qwen2.5-7B-Instruct"} 0.12',
      ...(sleep
        ? ['awake', 'weights_offloaded', 'discard_all'].map(
            (s) => `vllm:engine_sleep_state{engine="0",model_name="Qwen/Qwen2.5-7B-Instruct",sleep_state="${s}"} ${s === sleep ? '1.0' : '0.0'}`,
          )
        : []),
      'vllm:e2e_request_latency_seconds_bucket{engine="0",le="+Inf",model_name="Qwen/Qwen2.5-7B-Instruct"} 7.0',
    ].join('\n'),
  );

describe('vllm', () => {
  it('awake: every served name warm (LoRA adapters too), running/waiting from /metrics', async () => {
    const snap = await vllmAdapter.probe(fakeHttp({ '/health': text(200, ''), '/v1/models': MODELS, '/metrics': metrics() }), specFor('vllm'));
    expect(snap).toEqual({
      healthy: true,
      knowsLoaded: true,
      loading: false,
      models: [
        { id: 'Qwen/Qwen2.5-7B-Instruct', state: 'warm' },
        { id: 'sql-lora', state: 'warm' },
      ],
      inFlight: 3,
      queued: 2,
    });
  });

  it('asleep per /is_sleeping (dev mode): up but cold', async () => {
    const http = fakeHttp({ '/health': text(200, ''), '/v1/models': MODELS, '/is_sleeping': json(200, { is_sleeping: true }) });
    expect(await vllmAdapter.probe(http, specFor('vllm'))).toMatchObject({ healthy: true, sleeping: true, models: [{ state: 'cold' }, { state: 'cold' }] });
  });

  it('asleep per the engine_sleep_state gauge when /is_sleeping is not mounted', async () => {
    const asleep = fakeHttp({ '/health': text(200, ''), '/v1/models': MODELS, '/metrics': metrics('weights_offloaded') });
    expect(await vllmAdapter.probe(asleep, specFor('vllm'))).toMatchObject({ sleeping: true });
    const awake = fakeHttp({ '/health': text(200, ''), '/v1/models': MODELS, '/metrics': metrics('awake') });
    expect((await vllmAdapter.probe(awake, specFor('vllm'))).sleeping).toBeUndefined();
  });

  it('engine dead (/health 503) or still starting (connection refused): unhealthy', async () => {
    expect(await vllmAdapter.probe(fakeHttp({ '/health': text(503, ''), '/v1/models': MODELS }), specFor('vllm'))).toMatchObject({ healthy: false });
    const refused = new Error('connect ECONNREFUSED 127.0.0.1:8000');
    expect(await vllmAdapter.probe(fakeHttp({ '/health': refused, '/v1/models': refused }), specFor('vllm'))).toMatchObject({ healthy: false });
  });
});
