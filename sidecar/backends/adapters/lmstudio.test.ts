import { describe, expect, it } from 'vitest';

import { lmstudioAdapter } from './lmstudio.ts';
import { fakeHttp, json, NOT_FOUND, specFor } from './test-support.ts';

const V0 = json(200, {
  object: 'list',
  data: [
    { id: 'qwen2-vl-7b-instruct', object: 'model', type: 'vlm', publisher: 'mlx-community', arch: 'qwen2_vl', compatibility_type: 'mlx', quantization: '4bit', state: 'not-loaded', max_context_length: 32768 },
    { id: 'google/gemma-4-26b-a4b', object: 'model', type: 'llm', publisher: 'google', arch: 'gemma4', compatibility_type: 'gguf', quantization: 'Q4_K_M', state: 'loaded', max_context_length: 262144 },
  ],
});
const V1 = json(200, {
  models: [
    {
      type: 'llm',
      publisher: 'google',
      key: 'google/gemma-4-26b-a4b',
      display_name: 'Gemma 4 26B A4B',
      architecture: 'gemma4',
      quantization: { name: 'Q4_K_M', bits_per_weight: 4 },
      size_bytes: 17990911801,
      params_string: '26B-A4B',
      loaded_instances: [{ id: 'google/gemma-4-26b-a4b', config: { context_length: 4096, eval_batch_size: 512, parallel: 4, flash_attention: true } }],
      max_context_length: 262144,
      format: 'gguf',
    },
    { type: 'vlm', key: 'qwen2-vl-7b-instruct', size_bytes: 5000000000, loaded_instances: [] },
  ],
});

describe('lmstudio', () => {
  it('v0 state decides residency; v1 adds sizes and parallel slots', async () => {
    const snap = await lmstudioAdapter.probe(fakeHttp({ '/api/v0/models': V0, '/api/v1/models': V1 }), specFor('lmstudio'));
    expect(snap).toEqual({
      healthy: true,
      knowsLoaded: true,
      loading: false,
      models: [
        { id: 'qwen2-vl-7b-instruct', state: 'cold', sizeBytes: 5000000000 },
        { id: 'google/gemma-4-26b-a4b', state: 'warm', sizeBytes: 17990911801, slots: 4 },
      ],
      slots: 4,
    });
  });

  it('before 0.4.0 (no /api/v1/models): v0 alone', async () => {
    const snap = await lmstudioAdapter.probe(fakeHttp({ '/api/v0/models': V0, '/api/v1/models': NOT_FOUND }), specFor('lmstudio'));
    expect(snap.models).toEqual([
      { id: 'qwen2-vl-7b-instruct', state: 'cold' },
      { id: 'google/gemma-4-26b-a4b', state: 'warm' },
    ]);
  });

  it('without /api/v0/models: v1 loaded_instances decide', async () => {
    const snap = await lmstudioAdapter.probe(fakeHttp({ '/api/v0/models': NOT_FOUND, '/api/v1/models': V1 }), specFor('lmstudio'));
    expect(snap.models.map((m) => [m.id, m.state])).toEqual([
      ['google/gemma-4-26b-a4b', 'warm'],
      ['qwen2-vl-7b-instruct', 'cold'],
    ]);
  });

  it('neither answers: unhealthy', async () => {
    expect(await lmstudioAdapter.probe(fakeHttp({}), specFor('lmstudio'))).toMatchObject({ healthy: false });
  });
});
