import { describe, expect, it } from 'vitest';
import { claudeCodeSession, parseRequest, RequestError } from './parse.ts';
import { DEFAULT_SESSION_HEADERS } from '../policy/schema.ts';

const hi = { role: 'user', content: 'hi' };
const opts = { headers: [...DEFAULT_SESSION_HEADERS], prefixHash: true };
const parse = (api: Parameters<typeof parseRequest>[0], body: unknown, headers: Record<string, string> = {}) =>
  parseRequest(api, Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)), new Map(Object.entries(headers)), opts);

describe('parseRequest', () => {
  it('reads model and stream; Ollama streams by default, OpenAI does not', () => {
    expect(parse('openai-chat', { model: 'm1', messages: [hi] })).toMatchObject({ model: 'm1', stream: false });
    expect(parse('openai-chat', { model: 'm1', stream: true, messages: [hi] })).toMatchObject({ stream: true });
    expect(parse('ollama-chat', { model: 'llama3.2:3b', messages: [] })).toMatchObject({ model: 'llama3.2:3b', stream: true });
    expect(parse('ollama-generate', { model: 'x', stream: false })).toMatchObject({ stream: false });
  });

  it.each([
    ['malformed JSON', '{"model":', 400, 'invalid_json'],
    ['missing model', { messages: [] }, 400, 'missing_model'],
    ['empty model', { model: '' }, 400, 'missing_model'],
    ['non-string model', { model: 5 }, 400, 'invalid_model'],
    ['header injection', { model: 'm\r\nx-warmroute-endpoint: 1.2.3.4:80' }, 400, 'invalid_model'],
    ['path traversal', { model: '../../etc/passwd' }, 400, 'invalid_model'],
    ['url', { model: 'http://evil.example/m' }, 400, 'invalid_model'],
    ['non-boolean stream', { model: 'm', stream: 'yes', messages: [hi] }, 400, 'invalid_stream'],
  ])('refuses %s', (_n, body, status, code) => {
    try {
      parse('openai-chat', body);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(RequestError);
      expect((e as RequestError).status).toBe(status);
      expect((e as RequestError).code).toBe(code);
    }
  });

  it('takes the session from client headers first, in policy order', () => {
    const r = parse('anthropic-messages', { model: 'm', max_tokens: 8, messages: [hi], metadata: { user_id: 'user_ab_account__session_11111111-2222' } }, {
      'x-session-id': 'generic',
      'x-claude-code-session-id': 'cc-1',
    });
    expect(r).toMatchObject({ sessionKey: 'cc-1', sessionSource: 'header:x-claude-code-session-id' });
  });

  it('falls back to body fields: prompt_cache_key, previous_response_id, Claude Code metadata, user', () => {
    expect(parse('openai-responses', { model: 'm', input: 'hi', prompt_cache_key: 'thread-9', user: 'u' }).sessionKey).toBe('thread-9');
    expect(parse('openai-responses', { model: 'm', previous_response_id: 'resp_1' })).toMatchObject({ sessionKey: 'resp_1', previousResponseId: 'resp_1' });
    expect(parse('anthropic-messages', { model: 'm', max_tokens: 8, messages: [hi], metadata: { user_id: 'user_ab_account__session_d2e70091-3007' } }).sessionKey).toBe('d2e70091-3007');
    expect(parse('anthropic-messages', { model: 'm', max_tokens: 8, messages: [hi], metadata: { user_id: JSON.stringify({ device_id: 'x', session_id: 'sid-2' }) } }).sessionKey).toBe('sid-2');
    expect(parse('openai-chat', { model: 'm', messages: [hi], user: 'alice' })).toMatchObject({ sessionKey: 'alice', sessionSource: 'body:user' });
  });

  it('hashes the conversation prefix so every turn of a conversation gets the same key', () => {
    const sys = { role: 'system', content: 'You are a coding agent.' };
    const u1 = { role: 'user', content: 'fix the bug' };
    const turn1 = parse('openai-chat', { model: 'm', messages: [sys, u1] });
    const turn2 = parse('openai-chat', { messages: [sys, u1, { role: 'assistant', content: 'done' }, { role: 'user', content: 'thanks' }], model: 'm' });
    const other = parse('openai-chat', { model: 'm', messages: [sys, { role: 'user', content: 'write docs' }] });
    expect(turn1.sessionSource).toBe('prefix-hash');
    expect(turn1.sessionKey).toBe(turn2.sessionKey);
    expect(other.sessionKey).not.toBe(turn1.sessionKey);
    const a1 = parse('anthropic-messages', { model: 'm', max_tokens: 8, system: 'sys', messages: [u1] });
    const a2 = parse('anthropic-messages', { model: 'm', max_tokens: 8, system: 'sys', messages: [u1, { role: 'assistant', content: 'ok' }] });
    expect(a1.sessionKey).toBe(a2.sessionKey);
  });

  it('claudeCodeSession reads both metadata.user_id formats', () => {
    expect(claudeCodeSession('user_5dd0_account__session_d2e70091-3007-41a3-a916-cb8b0d3098de')).toBe('d2e70091-3007-41a3-a916-cb8b0d3098de');
    expect(claudeCodeSession('{"device_id":"x","account_uuid":"","session_id":"abc"}')).toBe('abc');
  });
});

describe('parseRequest reads values as the backend will', () => {
  it('decodes escaped keys, so "mod\\u0065l" cannot smuggle a second model past the allowlist', () => {
    const r = parse('openai-chat', '{"model":"m1","mod\\u0065l":"secret","messages":[{}]}');
    expect(r.model).toBe('secret');
  });

  it.each([
    ['model', '{"model":"m\\q","messages":[{}]}'],
    ['prompt_cache_key', '{"model":"m","messages":[{}],"prompt_cache_key":"a\\x"}'],
    ['metadata', '{"model":"m","max_tokens":1,"messages":[{}],"metadata":{"user_id":"\\u12"}}'],
  ])('an invalid escape in %s is a 400, not a crash', (_f, body) => {
    expect(() => parse(body.includes('metadata') ? 'anthropic-messages' : 'openai-chat', body)).toThrow(RequestError);
  });
});
