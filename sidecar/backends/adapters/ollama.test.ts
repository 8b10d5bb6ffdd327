import { describe, expect, it } from 'vitest';

import { ollamaAdapter } from './ollama.ts';
import { fakeHttp, json, specFor } from './test-support.ts';

const details = { parent_model: '', format: 'gguf', family: 'qwen2', families: ['qwen2'], parameter_size: '7.6B', quantization_level: 'Q4_K_M' };
const tag = (name: string, size: number, extra: Record<string, unknown> = {}) => ({
  name,
  model: name,
  modified_at: '2026-08-01T10:00:00.000000000-07:00',
  size,
  digest: '2b04',
  details,
  capabilities: ['completion', 'tools'],
  ...extra,
});
const TAGS = json(200, { models: [tag('qwen2.5-coder:7b', 4683087332), tag('llama3:latest', 4661224676)] });
const PS = json(200, {
  models: [
    {
      name: 'qwen2.5-coder:7b',
      model: 'qwen2.5-coder:7b',
      size: 6654289920,
      digest: '2b04',
      details,
      expires_at: '2026-08-21T18:53:22.123456-07:00',
      size_vram: 6654289920,
      context_length: 32768,
    },
  ],
});

describe('ollama', () => {
  it('/api/ps is warm (in-memory size), the rest of /api/tags cold (on-disk size)', async () => {
    const snap = await ollamaAdapter.probe(fakeHttp({ '/api/tags': TAGS, '/api/ps': PS }), specFor('ollama'));
    expect(snap).toEqual({
      healthy: true,
      knowsLoaded: true,
      loading: false,
      models: [
        { id: 'qwen2.5-coder:7b', state: 'warm', sizeBytes: 6654289920 },
        { id: 'llama3:latest', state: 'cold', sizeBytes: 4661224676 },
      ],
      memory: { usedBytes: 6654289920 },
    });
  });

  it('a policy naming `llama3` matches `llama3:latest`', async () => {
    const snap = await ollamaAdapter.probe(fakeHttp({ '/api/tags': TAGS, '/api/ps': PS }), specFor('ollama', { models: ['llama3', 'qwen2.5-coder:7b'] }));
    expect(snap.models.map((m) => m.id)).toEqual(['qwen2.5-coder:7b', 'llama3']);
  });

  it('/api/ps not answering while /api/tags does (a load holds it): loading, residency unknown', async () => {
    const snap = await ollamaAdapter.probe(fakeHttp({ '/api/tags': TAGS, '/api/ps': new Error('timed out after 1500 ms') }), specFor('ollama'));
    expect(snap).toMatchObject({ healthy: true, knowsLoaded: false, loading: true });
    expect(snap.models.every((m) => m.state === 'cold')).toBe(true);
    expect(snap.error).toContain('timed out');
  });

  it('empty lists encoded as null; cloud models never need a load', async () => {
    const http = fakeHttp({
      '/api/tags': json(200, { models: [tag('gpt-oss:120b-cloud', 384, { remote_model: 'gpt-oss:120b', remote_host: 'https://ollama.com:443' })] }),
      '/api/ps': json(200, { models: null }),
    });
    const snap = await ollamaAdapter.probe(http, specFor('ollama'));
    expect(snap.models).toEqual([{ id: 'gpt-oss:120b-cloud', state: 'warm' }]);
    expect(snap.memory).toEqual({ usedBytes: 0 });
  });

  it('not running: unhealthy', async () => {
    const down = new Error('connect ECONNREFUSED 127.0.0.1:11434');
    expect(await ollamaAdapter.probe(fakeHttp({ '/api/tags': down, '/api/ps': down }), specFor('ollama'))).toMatchObject({ healthy: false });
  });
});
