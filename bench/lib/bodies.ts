// Realistic agentic chat-completion bodies (what a coding agent sends on every
// turn): a long system prompt, tool definitions, and a growing history of user
// turns, assistant tool calls and tool results full of source code, so the
// JSON is dense with escaped quotes, backslashes, newlines, tabs and non-ASCII.
// Deterministic (seeded), so every run and every variant sees the same bytes.
import { seededRandom as rng } from '../../sidecar/util/seeded-random.ts';

const WORDS = (
  'the request router backend model session cache prompt token stream buffer envoy filter header body scheduler ' +
  'queue warm cold load unload slot probe health latency response error retry timeout config policy test case ' +
  'function value result parse scan index offset length array object string number boolean null undefined async'
).split(' ');

const IDENT = ['req', 'res', 'body', 'model', 'session', 'backend', 'queue', 'slot', 'ctx', 'opts', 'state', 'entry', 'chunk', 'buf', 'offset'];

function pick<T>(r: () => number, xs: readonly T[]): T {
  return xs[Math.floor(r() * xs.length)]!;
}

function sentence(r: () => number, n: number): string {
  const w: string[] = [];
  for (let i = 0; i < n; i++) w.push(pick(r, WORDS));
  const s = w.join(' ');
  return s[0]!.toUpperCase() + s.slice(1) + '.';
}

/** One line of TypeScript-ish code with the characters that need escaping in JSON. */
function codeLine(r: () => number, indent: number): string {
  const pad = r() < 0.15 ? '\t'.repeat(Math.ceil(indent / 2)) : ' '.repeat(indent);
  const a = pick(r, IDENT);
  const b = pick(r, IDENT);
  switch (Math.floor(r() * 12)) {
    case 0:
      return `${pad}const ${a} = "${pick(r, WORDS)}-${pick(r, WORDS)}"; // ${pick(r, WORDS)} ${pick(r, WORDS)}`;
    case 1:
      return `${pad}if (${a}.${b} === '${pick(r, WORDS)}' && !${b}) return { ok: false, error: "bad \\"${pick(r, WORDS)}\\"" };`;
    case 2:
      return `${pad}const re = /^([\\w.-]+)\\/(\\d+)\\s*$/; // matches "${pick(r, WORDS)}/42"`;
    case 3:
      return `${pad}log(\`${a}=\${${a}} ${b}=\${JSON.stringify(${b})}\\n\`);`;
    case 4:
      return `${pad}path = "C:\\\\Users\\\\dev\\\\${pick(r, WORDS)}\\\\${pick(r, WORDS)}.ts";`;
    case 5:
      return `${pad}throw new Error(\`${pick(r, WORDS)} → ${pick(r, WORDS)} failed: "\${${a}.message}"\`);`;
    case 6:
      return `${pad}for (let i = 0; i < ${a}.length; i++) { if (${a}[i] === '"' || ${a}[i] === '\\\\') n++; }`;
    case 7:
      return `${pad}// NOTE(${pick(r, ['ana', 'jörg', 'zoë', 'li'])}): ${sentence(r, 6)}`;
    case 8:
      return `${pad}await ${a}.write(Buffer.from('{"${b}":"${pick(r, WORDS)}","n":${Math.floor(r() * 1000)}}\\n'));`;
    case 9:
      return `${pad}expect(${a}).toEqual({ ${b}: "${pick(r, WORDS)}", tags: ['a', "b", \`c\`] });`;
    case 10:
      return `${pad}}`;
    default:
      return `${pad}export function ${a}${pick(r, ['Of', 'For', 'To', 'From'])}(${b}: string, opts = {}): Promise<void> {`;
  }
}

function codeBlock(r: () => number, lines: number): string {
  const out: string[] = [];
  let indent = 0;
  for (let i = 0; i < lines; i++) {
    out.push(codeLine(r, indent));
    indent = Math.max(0, Math.min(8, indent + (r() < 0.3 ? 2 : r() < 0.3 ? -2 : 0)));
  }
  return out.join('\n');
}

const SYSTEM_PROMPT_HEAD =
  'You are an interactive coding agent working in the user\'s repository. Use the tools to read and edit files; ' +
  'prefer small, verified changes. Quote file paths like "src/app.ts" and never invent APIs.\n\n# Rules\n';

function systemPrompt(r: () => number, paragraphs: number): string {
  const parts = [SYSTEM_PROMPT_HEAD];
  for (let i = 0; i < paragraphs; i++) {
    parts.push(`${i + 1}. ${sentence(r, 14)} ${sentence(r, 10)}\n`);
    if (i % 4 === 3) parts.push('```ts\n' + codeBlock(r, 4) + '\n```\n');
  }
  return parts.join('');
}

function tools(r: () => number, n: number): unknown[] {
  const names = ['read_file', 'write_file', 'edit_file', 'bash', 'grep', 'glob', 'list_dir', 'web_fetch', 'plan_write', 'task'];
  return names.slice(0, n).map((name) => ({
    type: 'function',
    function: {
      name,
      description: `${sentence(r, 12)} ${sentence(r, 16)} Example: {"path": "src/${pick(r, WORDS)}.ts"}.`,
      parameters: {
        type: 'object',
        properties: {
          path: { type: 'string', description: sentence(r, 8) },
          content: { type: 'string', description: sentence(r, 10) },
          pattern: { type: 'string', description: 'A regular expression, e.g. "^\\\\s*import .* from \'(.+)\'"' },
          limit: { type: 'integer', minimum: 1, maximum: 2000 },
        },
        required: ['path'],
        additionalProperties: false,
      },
    },
  }));
}

export const BENCH_MODEL = 'bench-model';

/**
 * A chat-completions body of about `targetBytes` (within 1 %, at least a
 * minimal body). Non-streaming; no session id in the body, so the sidecar
 * derives one from the conversation prefix (its default, and its most work).
 */
export function agenticBody(targetBytes: number, seed = 1): Buffer {
  const r = rng(seed);
  const small = targetBytes < 8 * 1024;
  const tiny = targetBytes < 2 * 1024;
  const messages: Array<Record<string, unknown>> = [
    { role: 'system', content: tiny ? SYSTEM_PROMPT_HEAD : systemPrompt(r, small ? 1 : 24) },
    { role: 'user', content: small ? 'Fix the failing test in "src/parse.ts".' : `${sentence(r, 20)} The test says:\n\`\`\`\n${codeBlock(r, 6)}\n\`\`\`` },
  ];
  const doc: Record<string, unknown> = tiny
    ? { model: BENCH_MODEL, messages, temperature: 0.2, stream: false }
    : { model: BENCH_MODEL, messages, tools: tools(r, small ? 1 : 10), tool_choice: 'auto', temperature: 0.2, stream: false };
  const size = (): number => Buffer.byteLength(JSON.stringify(doc));
  let call = 0;
  // Grow the history turn by turn until the next turn would overshoot (size tracked incrementally).
  let bytes = size();
  while (bytes < targetBytes) {
    const id = `call_${seed}_${call++}`;
    const turn: Array<Record<string, unknown>> = [
      { role: 'assistant', content: sentence(r, 12), tool_calls: [{ id, type: 'function', function: { name: 'read_file', arguments: JSON.stringify({ path: `src/${pick(r, WORDS)}/${pick(r, IDENT)}.ts`, limit: 400 }) } }] },
      { role: 'tool', tool_call_id: id, content: codeBlock(r, 40 + Math.floor(r() * 120)) },
      { role: 'user', content: `${sentence(r, 10)} Also check "${pick(r, IDENT)}" — it's 'wrong'\\n here.` },
    ];
    const added = turn.reduce((n, m) => n + Buffer.byteLength(JSON.stringify(m)) + 1, 0);
    if (bytes + added > targetBytes) break;
    messages.push(...turn);
    bytes += added;
  }
  // Pad the last tool result (or the user message) to land on the target.
  const last = [...messages].reverse().find((m) => m.role === 'tool') ?? messages[messages.length - 1]!;
  let content = String(last.content);
  const filler = codeBlock(r, 400);
  for (let guard = 0; guard < 64; guard++) {
    const missing = targetBytes - size();
    if (missing <= Math.max(8, targetBytes * 0.002)) break;
    // Escapes make encoded length > string length: add a little less than missing.
    content += '\n' + filler.slice(0, Math.max(1, Math.floor(missing * 0.8)));
    last.content = content;
    if (size() > targetBytes) {
      content = content.slice(0, content.length - Math.ceil((size() - targetBytes) * 1.2));
      last.content = content;
    }
  }
  return Buffer.from(JSON.stringify(doc));
}

export function sizeLabel(bytes: number): string {
  if (bytes >= 1024 * 1024 && bytes % (1024 * 1024) === 0) return `${bytes / (1024 * 1024)} MB`;
  if (bytes >= 1024) return `${Math.round(bytes / 1024)} KB`;
  return `${bytes} B`;
}
