// GET /props of a llama-server instance, in the shape recorded from a real one.
import { N_CTX } from './dialect.ts';

function generationParams(): Record<string, unknown> {
  return {
    seed: 4294967295,
    temperature: 0.8,
    top_k: 40,
    top_p: 0.95,
    min_p: 0.05,
    max_tokens: -1,
    n_predict: -1,
    n_keep: 0,
    stream: false,
    chat_format: 'Content-only',
    reasoning_format: 'none',
    samplers: ['penalties', 'dry', 'top_n_sigma', 'top_k', 'typ_p', 'top_p', 'min_p', 'xtc', 'temperature'],
    lora: [],
  };
}

export function instanceProps(model: string, totalSlots: number, sleeping = false): Record<string, unknown> {
  return {
    default_generation_settings: { params: generationParams(), n_ctx: N_CTX },
    total_slots: totalSlots,
    model_alias: model,
    model_ftype: 'Q4_K_M',
    model_path: `/models/${model}.gguf`,
    modalities: { vision: false, video: false, audio: false },
    media_marker: '<__media__>',
    endpoint_slots: true,
    endpoint_props: false,
    endpoint_metrics: true,
    ui: true,
    ui_settings: {},
    chat_template: "{% for m in messages %}<|{{ m['role'] }}|>{{ m['content'] }}\n{% endfor %}{% if add_generation_prompt %}<|assistant|>{% endif %}",
    chat_template_caps: {
      supports_object_arguments: false,
      supports_parallel_tool_calls: false,
      supports_preserve_reasoning: false,
      supports_reasoning_effort: false,
      supports_string_content: true,
      supports_system_role: true,
      supports_tool_calls: false,
      supports_tools: false,
      supports_typed_content: false,
    },
    bos_token: '<s>',
    eos_token: '</s>',
    build_info: 'b1-sim',
    is_sleeping: sleeping,
    cors_proxy_enabled: false,
  };
}

export function routerProps(maxInstances: number): Record<string, unknown> {
  return {
    role: 'router',
    max_instances: maxInstances,
    models_autoload: true,
    model_alias: 'llama-server',
    model_path: 'none',
    default_generation_settings: { params: null, n_ctx: 0 },
    ui_settings: {},
    build_info: 'b1-sim',
    cors_proxy_enabled: false,
  };
}
