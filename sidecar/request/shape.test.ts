import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parseRequest, RequestError, type ApiKind } from './parse.ts';
import { expectedRefusal } from './shape-oracle.ts';

const opts = { headers: [], prefixHash: true };
const codeOf = (api: ApiKind, body: unknown): string | undefined => {
  try {
    parseRequest(api, Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)), new Map(), opts);
    return undefined;
  } catch (e) {
    if (e instanceof RequestError) return e.code;
    throw e;
  }
};
const hi = { role: 'user', content: 'hi' };

describe('shape checks per API', () => {
  it.each<[ApiKind, unknown, string | undefined]>([
    // OpenAI chat: a non-empty array of message objects.
    ['openai-chat', { model: 'm', messages: [hi] }, undefined],
    ['openai-chat', { model: 'm' }, 'invalid_messages'],
    ['openai-chat', { model: 'm', messages: null }, 'invalid_messages'],
    ['openai-chat', { model: 'm', messages: 'hi' }, 'invalid_messages'],
    ['openai-chat', { model: 'm', messages: {} }, 'invalid_messages'],
    ['openai-chat', { model: 'm', messages: [] }, 'invalid_messages'],
    ['openai-chat', { model: 'm', messages: [hi, 'hi'] }, 'invalid_messages'],
    ['openai-chat', { model: 'm', messages: [hi, hi, hi, [hi]] }, 'invalid_messages'],
    // Anthropic: max_tokens a positive integer, then messages as for chat.
    ['anthropic-messages', { model: 'm', max_tokens: 64, messages: [hi] }, undefined],
    ['anthropic-messages', { model: 'm', messages: [hi] }, 'missing_max_tokens'],
    ['anthropic-messages', { model: 'm', max_tokens: null, messages: [hi] }, 'missing_max_tokens'],
    ['anthropic-messages', { model: 'm', max_tokens: '64', messages: [hi] }, 'invalid_max_tokens'],
    ['anthropic-messages', { model: 'm', max_tokens: 0, messages: [hi] }, 'invalid_max_tokens'],
    ['anthropic-messages', { model: 'm', max_tokens: 1.5, messages: [hi] }, 'invalid_max_tokens'],
    ['anthropic-messages', { model: 'm', max_tokens: -3, messages: [hi] }, 'invalid_max_tokens'],
    ['anthropic-messages', { model: 'm', max_tokens: 8, messages: [] }, 'invalid_messages'],
    // Ollama chat: no or empty messages is a load request; present messages are an array of objects.
    ['ollama-chat', { model: 'm' }, undefined],
    ['ollama-chat', { model: 'm', messages: [] }, undefined],
    ['ollama-chat', { model: 'm', messages: [hi] }, undefined],
    ['ollama-chat', { model: 'm', messages: 'hi' }, 'invalid_messages'],
    ['ollama-chat', { model: 'm', messages: [1] }, 'invalid_messages'],
    // Completions: a prompt (text, or a list of texts / token ids).
    ['openai-completions', { model: 'm', prompt: 'once upon' }, undefined],
    ['openai-completions', { model: 'm', prompt: [1, 2, 3] }, undefined],
    ['openai-completions', { model: 'm' }, 'missing_prompt'],
    ['openai-completions', { model: 'm', prompt: null }, 'missing_prompt'],
    ['openai-completions', { model: 'm', prompt: 5 }, 'invalid_prompt'],
    // Embeddings: input (or llama-server's content).
    ['openai-embeddings', { model: 'm', input: 'text' }, undefined],
    ['openai-embeddings', { model: 'm', input: ['a', 'b'] }, undefined],
    ['openai-embeddings', { model: 'm', content: 'text' }, undefined],
    ['openai-embeddings', { model: 'm' }, 'missing_input'],
    ['openai-embeddings', { model: 'm', input: { text: 'a' } }, 'invalid_input'],
    // Responses: input, or a previous response to continue.
    ['openai-responses', { model: 'm', input: 'hi' }, undefined],
    ['openai-responses', { model: 'm', input: [hi] }, undefined],
    ['openai-responses', { model: 'm', previous_response_id: 'resp_1' }, undefined],
    ['openai-responses', { model: 'm' }, 'missing_input'],
    ['openai-responses', { model: 'm', input: true }, 'invalid_input'],
    // Ollama generate / embed: empty is a load request; present fields have their types.
    ['ollama-generate', { model: 'm' }, undefined],
    ['ollama-generate', { model: 'm', prompt: '' }, undefined],
    ['ollama-generate', { model: 'm', prompt: ['x'] }, 'invalid_prompt'],
    ['ollama-embed', { model: 'm' }, undefined],
    ['ollama-embed', { model: 'm', input: ['a'] }, undefined],
    ['ollama-embed', { model: 'm', prompt: 'legacy' }, undefined],
    ['ollama-embed', { model: 'm', input: 3 }, 'invalid_input'],
  ])('%s %j → %s', (api, body, code) => {
    expect(codeOf(api, body)).toBe(code);
  });

  it('agrees with the reference at the nesting bound and on bytes that are not UTF-8', () => {
    for (let depth = 508; depth <= 516; depth++) {
      const text = `{"model":"m","messages":[{}],"x":${'['.repeat(depth - 1)}${']'.repeat(depth - 1)}}`;
      expect(codeOf('openai-chat', text), `depth ${depth}`).toBe(expectedRefusal('openai-chat', text)?.code);
    }
    const bad = Buffer.concat([Buffer.from('{"model":"m","messages":[{"content":"'), Buffer.from([0xff, 0xfe]), Buffer.from('"}]}')]);
    expect(expectedRefusal('openai-chat', bad)?.code).toBe('invalid_json');
    expect(() => parseRequest('openai-chat', bad, new Map(), opts)).toThrow(/UTF-8/);
  });

  it('a later duplicate key wins, as in JSON.parse', () => {
    expect(codeOf('openai-chat', '{"model":"m","messages":[{"role":"user"}],"messages":"x"}')).toBe('invalid_messages');
    expect(codeOf('openai-chat', '{"model":"m","messages":"x","messages":[{"role":"user"}]}')).toBeUndefined();
  });

  const APIS: ApiKind[] = ['openai-chat', 'openai-completions', 'openai-embeddings', 'openai-responses', 'anthropic-messages', 'ollama-chat', 'ollama-generate', 'ollama-embed'];
  const field = fc.oneof(
    fc.constant(undefined),
    fc.constant(null),
    fc.jsonValue({ maxDepth: 2 }),
    fc.array(fc.oneof(fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 1 })), fc.jsonValue({ maxDepth: 1 })), { maxLength: 4 }),
    fc.array(fc.dictionary(fc.string(), fc.string()), { maxLength: 4 }),
  );
  const body = fc.record(
    {
      model: fc.oneof(fc.constant('m1'), fc.constant(''), fc.string(), fc.integer()),
      stream: fc.oneof(fc.boolean(), fc.constant(null), fc.string()),
      messages: field,
      max_tokens: fc.oneof(fc.integer({ min: -2, max: 100 }), fc.double(), fc.string(), fc.constant(null)),
      prompt: field,
      input: field,
      content: field,
      previous_response_id: fc.oneof(fc.string(), fc.constant(null)),
      extra: fc.jsonValue({ maxDepth: 3 }),
    },
    { requiredKeys: [] },
  );

  it('agrees with the JSON.parse reference on generated bodies, for every API', () => {
    fc.assert(
      fc.property(fc.constantFrom(...APIS), body, fc.boolean(), (api, b, pretty) => {
        const text = pretty ? JSON.stringify(b, null, 1) : JSON.stringify(b);
        expect(codeOf(api, text)).toBe(expectedRefusal(api, text)?.code);
      }),
      { numRuns: 2000 },
    );
  });
});
