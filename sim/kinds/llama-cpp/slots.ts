// GET /slots and GET /metrics of one llama-server instance.
import type { RequestContext } from '../../http/context.ts';
import { sendText } from '../../http/respond.ts';
import type { SlotPool } from '../../core/slot-pool.ts';
import { LLAMA_HEADERS, N_CTX, sendLlamaError } from './dialect.ts';
import { sendJson } from '../../http/respond.ts';

export function sendSlots(ctx: RequestContext, pool: SlotPool): void {
  const states = pool.slotStates();
  if (ctx.url.searchParams.get('fail_on_no_slot') === '1' && states.every((s) => s.busy)) {
    sendLlamaError(ctx, 503, 'no slot available', 'unavailable_error');
    return;
  }
  sendJson(
    ctx.res,
    200,
    states.map((s, id) => ({
      id,
      n_ctx: N_CTX,
      speculative: false,
      is_processing: s.busy,
      // A slot that has run a task reports it, as llama.cpp does.
      ...(s.task === null ? {} : { id_task: s.task, next_token: [{ has_next_token: s.busy, has_new_line: false, n_remain: -1, n_decoded: 0 }] }),
    })),
    LLAMA_HEADERS,
  );
}

export interface MetricValues {
  promptTokens: number;
  tokensPredicted: number;
  processing: number;
  deferred: number;
}

const METRICS: Array<[name: string, type: 'counter' | 'gauge', help: string, pick: (v: MetricValues) => number]> = [
  ['prompt_tokens_total', 'counter', 'Number of prompt tokens processed, excluding cached tokens', (v) => v.promptTokens],
  ['prompt_tokens_cached_total', 'counter', 'Number of prompt tokens reused from the cache', () => 0],
  ['prompt_seconds_total', 'counter', 'Total time spent processing prompts', () => 0],
  ['tokens_predicted_total', 'counter', 'Number of generation tokens processed', (v) => v.tokensPredicted],
  ['tokens_predicted_seconds_total', 'counter', 'Total time spent generating tokens', () => 0],
  ['n_decode_total', 'counter', 'Total number of llama_decode() calls, excluding speculative decoding and multimodal decoding', (v) => v.tokensPredicted],
  ['n_tokens_max', 'counter', 'Largest observed sequence length (prompt + generation)', () => 0],
  ['spec_decode_num_draft_tokens_total', 'counter', 'Speculative: Total draft tokens generated', () => 0],
  ['spec_decode_num_accepted_tokens_total', 'counter', 'Speculative: Total draft tokens accepted by the target model', () => 0],
  ['spec_decode_num_drafts_total', 'counter', 'Speculative: Total speculative decoding verification steps', () => 0],
  ['prompt_tokens_seconds', 'gauge', 'Average prompt throughput in tokens/s', () => 0],
  ['predicted_tokens_seconds', 'gauge', 'Average generation throughput in tokens/s', () => 0],
  ['requests_processing', 'gauge', 'Number of requests processing', (v) => v.processing],
  ['requests_deferred', 'gauge', 'Number of requests deferred', (v) => v.deferred],
  ['n_busy_slots_per_decode', 'gauge', 'Average number of busy slots per llama_decode() call', () => 0],
];

export function sendMetrics(ctx: RequestContext, values: MetricValues, startedAt: number): void {
  const text = METRICS.map(
    ([name, type, help, pick]) => `# HELP llamacpp:${name} ${help}\n# TYPE llamacpp:${name} ${type}\nllamacpp:${name} ${pick(values)}\n`,
  ).join('');
  sendText(ctx.res, 200, text, 'text/plain; version=0.0.4', {
    ...LLAMA_HEADERS,
    'Process-Start-Time-Unix': String(Math.floor(startedAt / 1000)),
  });
}
