import { describe, expect, it } from 'vitest';

import { openaiAdapter } from './openai.ts';
import { fakeHttp, json, specFor } from './test-support.ts';

describe('openai (any OpenAI-compatible server)', () => {
  it('plain /v1/models: everything listed is taken as warm, knowsLoaded=false', async () => {
    const http = fakeHttp({ '/v1/models': json(200, { data: [{ id: 'qwen2.5-7b-instruct', object: 'model', owned_by: 'organization_owner' }], object: 'list' }) });
    expect(await openaiAdapter.probe(http, specFor('openai'))).toEqual({
      healthy: true,
      knowsLoaded: false,
      loading: false,
      models: [{ id: 'qwen2.5-7b-instruct', state: 'warm' }],
    });
  });

  it('entries that state their residency are believed; all of them stating it means knowsLoaded', async () => {
    const http = fakeHttp({
      '/v1/models': json(200, {
        data: [
          { id: 'a', status: { value: 'loaded' } },
          { id: 'b', status: { value: 'unloaded' } },
          { id: 'c', loaded: false },
          { id: 'd', state: 'not-loaded' },
        ],
      }),
    });
    const snap = await openaiAdapter.probe(http, specFor('openai'));
    expect(snap.knowsLoaded).toBe(true);
    expect(snap.models.map((m) => m.state)).toEqual(['warm', 'cold', 'cold', 'cold']);
  });

  it('mixed: unknown entries warm, knowsLoaded=false', async () => {
    const http = fakeHttp({ '/v1/models': json(200, { data: [{ id: 'a', status: { value: 'loading' } }, { id: 'b' }] }) });
    const snap = await openaiAdapter.probe(http, specFor('openai'));
    expect(snap).toMatchObject({ knowsLoaded: false, loading: true, models: [{ state: 'loading' }, { state: 'warm' }] });
  });
});
