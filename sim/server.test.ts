import { describe, expect, it } from 'vitest';
import { startSim } from './index.ts';
import { postJson, timedChunks, until } from './testing/http.ts';

describe('startSim', () => {
  it('rejects an invalid spec', async () => {
    await expect(startSim({ kind: 'openai', models: [] })).rejects.toThrow();
    await expect(startSim({ kind: 'openai', models: [{ id: 'a' }, { id: 'a' }] })).rejects.toThrow();
  });

  it('probe delay slows GET status endpoints only, and can be changed at runtime', async () => {
    const s = await startSim({ kind: 'ollama', models: [{ id: 'm', loaded: true }], probeDelayMs: 120, timeScale: 0.01 });
    try {
      let t0 = performance.now();
      await fetch(`${s.url}/api/ps`);
      expect(performance.now() - t0).toBeGreaterThanOrEqual(110);
      t0 = performance.now();
      await postJson(`${s.url}/api/generate`, { model: 'm', prompt: 'x', stream: false, options: { num_predict: 1 } });
      expect(performance.now() - t0).toBeLessThan(110);
      s.setProbeDelay(0);
      t0 = performance.now();
      await fetch(`${s.url}/api/ps`);
      expect(performance.now() - t0).toBeLessThan(110);
    } finally {
      await s.close();
    }
  });

  it('honours the time to first token', async () => {
    const s = await startSim({ kind: 'openai', models: [{ id: 'm' }], ttftMs: 150, tokensPerSec: 1000 });
    try {
      const res = await timedChunks(`${s.url}/v1/chat/completions`, { model: 'm', messages: [], max_tokens: 2, stream: true });
      expect(res.chunks[0]?.at).toBeGreaterThanOrEqual(140);
    } finally {
      await s.close();
    }
  });

  it('close() ends open streams at once', async () => {
    const s = await startSim({ kind: 'openai', models: [{ id: 'm' }], tokensPerSec: 1 });
    const stream = postJson(`${s.url}/v1/chat/completions`, { model: 'm', messages: [], max_tokens: 1000, stream: true }).catch((e: unknown) => e);
    await until(() => s.stats().active === 1);
    const t0 = performance.now();
    await s.close();
    expect(performance.now() - t0).toBeLessThan(1000);
    await stream;
    expect(s.stats().active).toBe(0);
  });
});
