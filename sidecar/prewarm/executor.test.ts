import { describe, expect, it } from 'vitest';
import { BackendSpec, type BackendKind } from '../policy/schema.ts';
import type { PrewarmOutcome } from '../scheduler/types.ts';
import { PrewarmExecutor, type PrewarmResult } from './executor.ts';

const outcome = (action: 'start' | 'cancel', backend = 'b1'): PrewarmOutcome => ({ type: 'prewarm', action, backend, model: 'm', backendModelId: 'm-id', why: 'test', expectedLoadMs: 1000, at: 0 });

function harness(kind: BackendKind, answer: (url: string, init: RequestInit) => Promise<Response>) {
  const results: Array<{ result: PrewarmResult; detail: string }> = [];
  const calls: Array<{ url: string; method?: string; body?: unknown }> = [];
  const settled: string[] = [];
  const spec = BackendSpec.parse({ name: 'b1', kind, url: 'http://10.0.0.1:8080' });
  const ex = new PrewarmExecutor({
    spec: (b) => (b === 'b1' ? spec : undefined),
    record: (_o, result, detail) => results.push({ result, detail }),
    settled: (b) => settled.push(b),
    fetch: (async (url: string, init: RequestInit) => {
      calls.push({ url, method: init.method, body: init.body === undefined ? undefined : JSON.parse(String(init.body)) });
      return answer(url, init);
    }) as typeof fetch,
  });
  const done = async () => {
    for (let i = 0; i < 50 && ex.pending() > 0; i++) await new Promise((r) => setTimeout(r, 5));
  };
  return { ex, results, calls, settled, done };
}

describe('pre-warm executor', () => {
  it.each([
    ['llama-server', 'http://10.0.0.1:8080/models/load', 'POST', { model: 'm-id' }],
    ['llama-swap', 'http://10.0.0.1:8080/upstream/m-id/health', 'GET', undefined],
    ['ollama', 'http://10.0.0.1:8080/api/generate', 'POST', { model: 'm-id', keep_alive: '5m' }],
    ['lmstudio', 'http://10.0.0.1:8080/api/v1/models/load', 'POST', { model: 'm-id' }],
  ] as const)('%s: sends the server its own load call and records ok', async (kind, url, method, body) => {
    const h = harness(kind, async () => new Response('{}', { status: 200 }));
    h.ex.handle(outcome('start'));
    await h.done();
    expect(h.calls).toEqual([{ url, method, body }]);
    expect(h.results.map((r) => r.result)).toEqual(['ok']);
    expect(h.settled).toEqual(['b1']);
  });

  it('counts "already running" from a llama-server router as ok, other errors as failed', async () => {
    const already = harness('llama-server', async () => new Response('{"error":{"message":"model is already running"}}', { status: 400 }));
    already.ex.handle(outcome('start'));
    await already.done();
    expect(already.results.map((r) => r.result)).toEqual(['ok']);
    const broken = harness('lmstudio', async () => new Response('nope', { status: 500 }));
    broken.ex.handle(outcome('start'));
    await broken.done();
    expect(broken.results).toEqual([{ result: 'failed', detail: 'HTTP 500 from POST /api/v1/models/load' }]);
  });

  it('records unsupported for a server without a load call, and sends nothing', async () => {
    const h = harness('vllm', async () => new Response('{}'));
    h.ex.handle(outcome('start'));
    expect(h.calls).toEqual([]);
    expect(h.results.map((r) => r.result)).toEqual(['unsupported']);
  });

  it('a cancel aborts the call in progress: exactly one result, cancelled; a repeated start while in flight sends nothing more', async () => {
    const h = harness('llama-swap', (_url, init) => new Promise<Response>((_resolve, reject) => init.signal!.addEventListener('abort', () => reject(init.signal!.reason))));
    h.ex.handle(outcome('start'));
    h.ex.handle(outcome('start'));
    expect(h.calls).toHaveLength(1);
    h.ex.handle(outcome('cancel'));
    await h.done();
    expect(h.results).toEqual([{ result: 'cancelled', detail: 'test' }]);
    expect(h.ex.pending()).toBe(0);
  });
});
