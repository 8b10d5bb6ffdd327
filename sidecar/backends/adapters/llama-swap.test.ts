import { describe, expect, it } from 'vitest';

import { llamaSwapAdapter } from './llama-swap.ts';
import { fakeHttp, json, recorded, specFor } from './test-support.ts';

const spec = specFor('llama-swap');
const states = (snap: { models: Array<{ id: string; state: string }> }) => snap.models.map((m) => [m.id, m.state]);

describe('llama-swap, recorded answers', () => {
  it('tiny-c running and ready: c warm, d cold, no swap under way', async () => {
    const http = fakeHttp({ '/running': recorded('llama-swap/GET_running_c.http'), '/v1/models': recorded('llama-swap/GET_v1_models_c_loaded.http') });
    const snap = await llamaSwapAdapter.probe(http, spec);
    expect(snap).toEqual({
      healthy: true,
      knowsLoaded: true,
      loading: false,
      models: [
        { id: 'tiny-c', state: 'warm' },
        { id: 'tiny-d', state: 'cold' },
      ],
    });
  });

  it('nothing running: every model cold', async () => {
    const http = fakeHttp({ '/running': recorded('llama-swap/GET_running_empty.http'), '/v1/models': recorded('llama-swap/GET_v1_models_none_loaded.http') });
    expect(states(await llamaSwapAdapter.probe(http, spec))).toEqual([
      ['tiny-c', 'cold'],
      ['tiny-d', 'cold'],
    ]);
  });

  it('/running is the truth for warm: tiny-d ready even though /v1/models (taken earlier) had c', async () => {
    const http = fakeHttp({ '/running': recorded('llama-swap/GET_running_d.http'), '/v1/models': recorded('llama-swap/GET_v1_models_c_loaded.http') });
    expect(states(await llamaSwapAdapter.probe(http, spec))).toEqual([
      ['tiny-c', 'loading'],
      ['tiny-d', 'warm'],
    ]);
  });

  it('loaded in /v1/models but absent from /running (old llama-swap hid starting processes): loading', async () => {
    const http = fakeHttp({ '/running': recorded('llama-swap/GET_running_empty.http'), '/v1/models': recorded('llama-swap/GET_v1_models_c_loaded.http') });
    const snap = await llamaSwapAdapter.probe(http, spec);
    expect(states(snap)).toEqual([
      ['tiny-c', 'loading'],
      ['tiny-d', 'cold'],
    ]);
    expect(snap.loading).toBe(true);
  });
});

describe('llama-swap, documented shapes and versions', () => {
  const running = (...entries: Array<[string, string]>) =>
    json(200, { running: entries.map(([model, state]) => ({ model, state, cmd: 'llama-server', proxy: 'http://localhost:5800', ttl: 0, name: '', description: '' })) });

  it('starting = loading, stopping = cold, and either means a swap is under way', async () => {
    const http = fakeHttp({
      '/running': running(['a', 'stopping'], ['b', 'starting']),
      '/v1/models': json(200, { data: [{ id: 'a', status: { value: 'loaded' } }, { id: 'b', status: { value: 'loaded' } }] }),
    });
    const snap = await llamaSwapAdapter.probe(http, spec);
    expect(states(snap)).toEqual([
      ['a', 'cold'],
      ['b', 'loading'],
    ]);
    expect(snap.loading).toBe(true);
  });

  it('before v236 /v1/models has no status: /running alone decides', async () => {
    const http = fakeHttp({
      '/running': json(200, { running: [{ model: 'a', state: 'ready' }] }),
      '/v1/models': json(200, { object: 'list', data: [{ id: 'a', object: 'model', created: 1, owned_by: 'llama-swap' }, { id: 'b', object: 'model', created: 1, owned_by: 'llama-swap' }] }),
    });
    expect(states(await llamaSwapAdapter.probe(http, spec))).toEqual([
      ['a', 'warm'],
      ['b', 'cold'],
    ]);
  });

  it('peers and selectors are skipped; unlisted models that run are kept; aliases the policy uses are reported', async () => {
    const http = fakeHttp({
      '/running': running(['hidden', 'ready'], ['qwen-coder', 'ready']),
      '/v1/models': json(200, {
        data: [
          { id: 'other/llama', status: { value: 'unloaded' }, meta: { llamaswap: { type: 'peer' } } },
          { id: 'fast', status: { value: 'unloaded' }, meta: { llamaswap: { type: 'selector' } } },
          { id: 'qwen-coder', status: { value: 'loaded' }, meta: { llamaswap: { type: 'model', aliases: ['gpt-4o-mini'] } } },
        ],
      }),
    });
    const snap = await llamaSwapAdapter.probe(http, specFor('llama-swap', { models: ['gpt-4o-mini', 'hidden'] }));
    expect(states(snap)).toEqual([
      ['gpt-4o-mini', 'warm'],
      ['hidden', 'warm'],
    ]);
  });

  it('/v1/models refused (API key): still healthy from /running, with a note', async () => {
    const http = fakeHttp({
      '/running': running(['a', 'ready']),
      '/v1/models': json(401, { error: { message: 'Invalid API Key', type: 'authentication_error', code: 401 } }),
    });
    const snap = await llamaSwapAdapter.probe(http, spec);
    expect(snap).toMatchObject({ healthy: true, models: [{ id: 'a', state: 'warm' }] });
    expect(snap.error).toContain('Invalid API Key');
  });

  it('/running down: unhealthy', async () => {
    const http = fakeHttp({ '/running': new Error('connect ECONNREFUSED'), '/v1/models': new Error('connect ECONNREFUSED') });
    expect(await llamaSwapAdapter.probe(http, spec)).toMatchObject({ healthy: false, models: [] });
  });
});
