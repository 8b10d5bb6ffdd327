// The agentic burst shared by e2e/scheduling.test.ts (invariants) and
// bench/agentic.ts (comparisons): llama-swap #611's shape, an orchestrator
// turn, parallel explorers and a coder on three models, over two simulated
// llama-swap boxes that hold one model each.
import type { PolicyInput, Strategy } from '../sidecar/policy/schema.ts';
import type { SimSpec } from '../sim/index.ts';

export const BURST_MODELS = ['orchestrator', 'explorer', 'coder'];

/** llama-swap with one GPU: one model resident, a swap costs a load (~0.6 s here). */
export const swapBox = (): SimSpec => ({
  kind: 'llama-swap',
  models: BURST_MODELS.map((id) => ({ id, sizeGB: 2 })),
  maxLoaded: 1,
  slots: 2,
  ttftMs: 20,
  tokensPerSec: 200,
  defaultMaxTokens: 10,
  loadInitMs: 200,
  loadGBps: 5,
});

/** Models in arrival order: per round, an orchestrator turn, parallel explorers, a coder, interleaved as they arrive. */
export function agenticBurst(rounds: number): string[] {
  return Array.from({ length: rounds }, () => ['orchestrator', 'explorer', 'coder', 'explorer', 'orchestrator', 'explorer', 'coder']).flat();
}

export function burstPolicy(strategy: Strategy, agingMs: number): PolicyInput {
  return {
    backends: ['a', 'b'].map((name) => ({ name, kind: 'llama-swap' as const, url: `sim:${name}`, models: BURST_MODELS, max_models: 1, slots: 2, probe: { interval_ms: 200 } })),
    scheduler: { strategy, aging_ms: agingMs },
    debug: { decision_headers: true },
  };
}

/** Send the burst 5 ms apart (arrival order = trace order); each answer's status and the sidecar's queue wait. */
export function sendBurst(url: string, trace: readonly string[]): Promise<Array<{ status: number; queuedMs: number }>> {
  return Promise.all(
    trace.map(async (model, i) => {
      await new Promise((r) => setTimeout(r, i * 5));
      const res = await fetch(`${url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model, messages: [{ role: 'user', content: `task ${i}` }] }),
      });
      await res.text();
      return { status: res.status, queuedMs: Number(res.headers.get('x-warmroute-queued-ms') ?? NaN) };
    }),
  );
}
