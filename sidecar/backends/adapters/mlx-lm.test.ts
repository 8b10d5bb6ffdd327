import { describe, expect, it } from 'vitest';

import { mlxLmAdapter } from './mlx-lm.ts';
import { fakeHttp, json, specFor } from './test-support.ts';

describe('mlx-lm', () => {
  it('lists what it could serve; which one is loaded is not observable', async () => {
    const http = fakeHttp({
      '/v1/models': json(200, {
        object: 'list',
        data: [
          { id: 'mlx-community/Qwen2.5-7B-Instruct-4bit', object: 'model', created: 1766000000 },
          { id: 'mlx-community/Llama-3.2-3B-Instruct-4bit', object: 'model', created: 1766000000 },
        ],
      }),
    });
    const snap = await mlxLmAdapter.probe(http, specFor('mlx-lm'));
    expect(snap).toEqual({
      healthy: true,
      knowsLoaded: false,
      loading: false,
      models: [
        { id: 'mlx-community/Qwen2.5-7B-Instruct-4bit', state: 'cold' },
        { id: 'mlx-community/Llama-3.2-3B-Instruct-4bit', state: 'cold' },
      ],
    });
    expect(http.requests).toEqual(['/v1/models']);
  });

  it('down: unhealthy, still knowsLoaded=false', async () => {
    expect(await mlxLmAdapter.probe(fakeHttp({ '/v1/models': new Error('connect ECONNREFUSED') }), specFor('mlx-lm'))).toMatchObject({
      healthy: false,
      knowsLoaded: false,
    });
  });
});
