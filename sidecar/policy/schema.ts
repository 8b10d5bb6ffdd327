// The policy file, declared once. Every type the rest of the sidecar uses for
// configuration is inferred from these schemas. Unknown keys are errors so a
// typo never passes silently.
import { z } from 'zod';
import { RecordSpec } from '../replay/record-spec.ts';

export const BackendKind = z
  .enum(['openai', 'llama-server', 'llama-swap', 'ollama', 'omlx', 'lmstudio', 'vllm', 'mlx-lm'])
  .describe('Server software behind the URL; selects the probe adapter. openai = any OpenAI-compatible server.');
export type BackendKind = z.infer<typeof BackendKind>;

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;
// Istio names the cluster of a ServiceEntry port `outbound|PORT||HOST`.
const CLUSTER_NAME = /^[A-Za-z0-9][A-Za-z0-9_.|:-]{0,252}$/;

export const ProbeSpec = z
  .strictObject({
    interval_ms: z.number().int().min(50).default(2000).describe('Time between background probes of this backend.'),
    timeout_ms: z.number().int().min(10).default(1500).describe('Timeout of one probe request.'),
    max_backoff_ms: z.number().int().min(50).default(30_000).describe('Longest interval while the backend keeps failing.'),
  })
  .describe('Background probing; never on the request path.');

export const BackendSpec = z
  .strictObject({
    name: z.string().regex(NAME, 'letters, digits, _ . - (max 63)').describe('Unique backend name (also its Envoy cluster name in cluster_header mode).'),
    kind: BackendKind.default('openai'),
    url: z.url().describe('Base URL of the server, e.g. http://10.0.0.5:8080'),
    models: z.array(z.string().min(1)).default([]).describe('Public model names this backend may serve; empty = whatever the probe discovers.'),
    aliases: z.record(z.string(), z.string()).default({}).describe('Public model name → the id this backend uses for it.'),
    slots: z.number().int().positive().optional().describe('Parallel requests the backend runs at once; default: probed, else 4.'),
    max_models: z.number().int().positive().optional().describe('Distinct models the backend holds at once (1 for a single-GPU llama-swap); default: unlimited.'),
    cluster: z
      .string()
      .regex(CLUSTER_NAME, 'letters, digits, _ . - | : (max 253)')
      .optional()
      .describe('Envoy cluster name for cluster_header mode; default: the backend name. In Istio, the ServiceEntry’s cluster: outbound|PORT||HOST.'),
    probe: ProbeSpec.prefault({}),
  })
  .describe('One LLM server.');
export type BackendSpec = z.infer<typeof BackendSpec>;

export const ModelSpec = z
  .strictObject({
    priority: z.number().default(0).describe('Higher is served first when requests wait.'),
    unload_delay_ms: z.number().int().min(0).optional().describe('Sticky window after the last request ends (aging-bonus only; warm-first keeps models by cost); default: scheduler.unload_delay_ms.'),
  })
  .describe('Per-model scheduling settings.');
export type ModelSpec = z.infer<typeof ModelSpec>;

export const Strategy = z
  .enum(['warm-first', 'fifo', 'round-robin', 'least-connections', 'random', 'aging-bonus'])
  .describe('Scheduling strategy; warm-first is warmroute’s own, the rest are baselines.');
export type Strategy = z.infer<typeof Strategy>;

export const SchedulerSpec = z.strictObject({
  strategy: Strategy.default('warm-first'),
  warm_bonus: z.number().min(0).default(100).describe('Queue priority a request earns while its model is warm somewhere.'),
  aging_ms: z.number().int().min(1).default(30_000).describe('Waiting this long earns as much priority as the warm bonus: the starvation bound.'),
  unload_delay_ms: z.number().int().min(0).default(5_000).describe('Default sticky window a model keeps a backend after its last request (aging-bonus only: warm-first keeps an idle model while the waiting it imposes stays below its learned reload × demand).'),
  queue: z
    .strictObject({
      max_length: z.number().int().min(0).default(256).describe('Waiting requests beyond this get 429.'),
      timeout_ms: z.number().int().min(1).default(120_000).describe('A request waiting longer gets 503.'),
    })
    .prefault({}),
  weights: z
    .strictObject({
      warm: z.number().min(0).default(10),
      load: z.number().min(0).default(2),
      affinity: z.number().min(0).default(3),
      spread: z.number().min(0).default(3).describe('New conversations go where the fewest live ones are homed (sessions spread).'),
      recency: z.number().min(0).default(0.5),
      memory: z.number().min(0).default(0.25),
    })
    .prefault({})
    .describe('Weights of the scorers (each scores in [0,1]).'),
  default_slots: z.number().int().positive().default(4).describe('Slots assumed when neither policy nor probe tells.'),
});
export type SchedulerSpec = z.infer<typeof SchedulerSpec>;

export const DEFAULT_SESSION_HEADERS = [
  'x-claude-code-session-id',
  'session-id',
  'session_id',
  'thread-id',
  'x-session-affinity',
  'x-opencode-session',
  'x-openwebui-chat-id',
  'x-session-id',
  'x-litellm-session-id',
] as const;

export const SessionSpec = z.strictObject({
  headers: z.array(z.string().min(1)).default([...DEFAULT_SESSION_HEADERS]).describe('Headers carrying a session id, first match wins.'),
  prefix_hash: z.boolean().default(true).describe('Hash the conversation prefix when a client sends no session id.'),
  ttl_ms: z.number().int().min(1000).default(30 * 60_000).describe('Idle time after which a session forgets its backend.'),
  max_entries: z.number().int().min(1).default(100_000).describe('Bound on the session table.'),
});

export const EnvoySpec = z.strictObject({
  mode: z
    .enum(['original_dst', 'cluster_header', 'epp'])
    .default('original_dst')
    .describe('How Envoy is told the upstream. epp: warmroute is the endpoint picker of a Gateway API Inference Extension InferencePool (docs/inference-extension.md).'),
  epp_fallbacks: z
    .number()
    .int()
    .min(0)
    .max(8)
    .default(0)
    .describe(
      'epp mode: endpoints listed after the chosen one in x-gateway-destination-endpoint, for the gateway to try if it cannot connect. Only for gateways that take a list (Envoy override_host); an ORIGINAL_DST data plane rejects one.',
    ),
  admin_port: z.number().int().min(1).max(65535).default(18000),
  max_body_bytes: z.number().int().min(1024).default(8 * 1024 * 1024).describe('Largest request body; bigger gets 413 from Envoy.'),
  failure_mode: z.enum(['closed', 'open']).default('closed').describe('closed: 503-class error when the sidecar is down; open: Envoy routes to fallback_backend.'),
  fallback_backend: z.string().optional().describe('Backend used by Envoy when the sidecar is down and failure_mode is open.'),
  observe_responses: z
    .boolean()
    .default(true)
    .describe('The routing stream also reads each response status (a 5xx is evidence against the backend, the first response marks a cold model warm), and on /v1/responses an observing filter reads response ids; one more message per request.'),
  bin: z.string().optional().describe('Path to the envoy binary; default: ENVOY_BIN, PATH, then the project venv.'),
});

export const Policy = z
  .strictObject({
    listen: z
      .strictObject({
        host: z.string().default('0.0.0.0'),
        port: z.number().int().min(1).max(65535).default(18080),
      })
      .prefault({})
      .describe('Where Envoy accepts client traffic.'),
    sidecar: z
      .strictObject({
        host: z.string().default('127.0.0.1').describe('Where Envoy reaches the sidecar’s gRPC port (an IP or a DNS name, e.g. a compose service).'),
        bind_host: z.string().default('127.0.0.1').describe('Address the sidecar’s gRPC server binds (0.0.0.0 in containers).'),
        grpc_port: z.number().int().min(1).max(65535).default(18090),
        replicas: z
          .array(z.string().regex(/^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/, 'host:port'))
          .default([])
          .describe('Other sidecar replicas Envoy may use (host:grpc_port), after host:grpc_port; each keeps its own queue (docs/replicas.md).'),
        admin_host: z.string().default('127.0.0.1'),
        admin_port: z.number().int().min(1).max(65535).default(18091).describe('Status and metrics; loopback by default.'),
        admin_token: z
          .string()
          .min(16)
          .optional()
          .describe('Bearer token for the admin API (dashboard, status, metrics; not /healthz). Required when admin_host is not loopback; env WARMROUTE_ADMIN_TOKEN takes precedence.'),
      })
      .prefault({}),
    envoy: EnvoySpec.prefault({}),
    backends: z.array(BackendSpec).min(1),
    models: z.record(z.string(), ModelSpec).default({}),
    allow_unlisted_models: z
      .boolean()
      .default(false)
      .describe('Route model names no backend lists or reports; off so an unknown name never reaches a server that would download it.'),
    scheduler: SchedulerSpec.prefault({}),
    sessions: SessionSpec.prefault({}),
    record: RecordSpec.optional(),
    debug: z
      .strictObject({ decision_headers: z.boolean().default(false).describe('Return x-warmroute-* decision headers to clients.') })
      .prefault({}),
  })
  .superRefine((p, ctx) => {
    const seen = new Set<string>();
    p.backends.forEach((b, i) => {
      if (seen.has(b.name)) ctx.addIssue({ code: 'custom', path: ['backends', i, 'name'], message: `duplicate backend name "${b.name}"` });
      seen.add(b.name);
    });
    if (p.envoy.fallback_backend && !seen.has(p.envoy.fallback_backend))
      ctx.addIssue({ code: 'custom', path: ['envoy', 'fallback_backend'], message: 'not a backend name' });
  });
export type Policy = z.infer<typeof Policy>;
export type PolicyInput = z.input<typeof Policy>;
