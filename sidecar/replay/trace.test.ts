import { describe, expect, it } from 'vitest';
import { dependenciesOf, formatTraceLine, formatTraceMeta, parseTrace, TraceError } from './trace.ts';

const errorOf = (text: string): string => {
  try {
    parseTrace(text, 't.jsonl');
  } catch (e) {
    expect(e).toBeInstanceOf(TraceError);
    return (e as Error).message;
  }
  throw new Error('parsed');
};

describe('trace format', () => {
  it('parses the documented example with defaults and metadata', () => {
    const t = parseTrace(
      [
        '{"trace": {"name": "demo", "description": "two steps"}}',
        '{"id":"o1","model":"orch","session":"orch","at_ms":0,"prompt_tokens":800,"output_tokens":60,"stream":true}',
        '',
        '# a comment',
        '{"id":"e1","model":"explore","session":"e1","after":"o1","gap_ms":50,"prompt_tokens":1200,"output_tokens":200}',
        '{"id":"x","model":"embed","after":["o1","e1"],"prompt_tokens":10,"output_tokens":0,"api":"embeddings","stream":false}',
      ].join('\n'),
    );
    expect(t.name).toBe('demo');
    expect(t.description).toBe('two steps');
    expect(t.requests.map((r) => r.id)).toEqual(['o1', 'e1', 'x']);
    expect(t.requests[1]).toMatchObject({ stream: true, api: 'chat', gap_ms: 50 });
    expect(dependenciesOf(t.requests[2]!)).toEqual(['o1', 'e1']);
    expect(dependenciesOf(t.requests[0]!)).toEqual([]);
  });

  it('names the file and line of each kind of problem', () => {
    expect(errorOf('{"id":"a","model":"m","at_ms":0,"prompt_tokens":1,"output_tokens":1}\n{oops')).toMatch(/^t\.jsonl:2: not JSON/);
    expect(errorOf('{"id":"a","model":"m","prompt_tokens":1,"output_tokens":1}')).toMatch(/^t\.jsonl:1: .*exactly one of "at_ms".*"after"/);
    expect(errorOf('{"id":"a","model":"m","at_ms":0,"after":"b","prompt_tokens":1,"output_tokens":1}')).toMatch(/^t\.jsonl:1: .*exactly one/);
    expect(errorOf('{"id":"a","model":"m","at_ms":0,"gap_ms":5,"prompt_tokens":1,"output_tokens":1}')).toMatch(/gap_ms.*only goes with "after"/);
    expect(errorOf('{"id":"a","model":"m","at_ms":-1,"prompt_tokens":1,"output_tokens":1}')).toMatch(/^t\.jsonl:1: at_ms:/);
    expect(errorOf('{"id":"a","model":"m","at_ms":0,"prompt_tokens":1,"output_tokens":1,"colour":"red"}')).toMatch(/colour/);
    expect(errorOf('{"id":"a","model":"m","at_ms":0,"prompt_tokens":1,"output_tokens":1,"api":"images"}')).toMatch(/^t\.jsonl:1: api:/);
    expect(errorOf('{"id":"a","model":"m","at_ms":0,"prompt_tokens":1,"output_tokens":1}\n\n{"id":"a","model":"m","at_ms":1,"prompt_tokens":1,"output_tokens":1}')).toBe(
      't.jsonl:3: duplicate id "a" (first on line 1)',
    );
    expect(errorOf('{"id":"a","model":"m","at_ms":0,"prompt_tokens":1,"output_tokens":1}\n{"id":"b","model":"m","after":"zz","prompt_tokens":1,"output_tokens":1}')).toBe(
      't.jsonl:2: "after" names unknown request "zz"',
    );
    expect(
      errorOf(
        [
          '{"id":"a","model":"m","at_ms":0,"prompt_tokens":1,"output_tokens":1}',
          '{"id":"b","model":"m","after":["a","c"],"prompt_tokens":1,"output_tokens":1}',
          '{"id":"c","model":"m","after":"b","prompt_tokens":1,"output_tokens":1}',
        ].join('\n'),
      ),
    ).toMatch(/^t\.jsonl:\d: "after" forms a cycle: (b → c → b|c → b → c)$/);
    expect(errorOf('{"id":"a","model":"m","at_ms":0,"prompt_tokens":1,"output_tokens":1}\n{"trace":{"name":"late"}}')).toMatch(/^t\.jsonl:2: .*must be the first line/);
    expect(errorOf('{"trace":{"name":"only"}}')).toBe('t.jsonl: no requests');
  });

  it('formats lines that parse back to the same requests', () => {
    const text = [
      formatTraceMeta('rt', 'round trip'),
      formatTraceLine({ id: 'a', model: 'm', session: 'h', at_ms: 5, prompt_tokens: 3, output_tokens: 4 }),
      formatTraceLine({ id: 'b', model: 'e', after: ['a'], gap_ms: 7, prompt_tokens: 3, output_tokens: 0, stream: false, api: 'embeddings' }),
    ].join('\n');
    const t = parseTrace(text);
    expect(t.requests).toEqual([
      { id: 'a', model: 'm', session: 'h', at_ms: 5, prompt_tokens: 3, output_tokens: 4, stream: true, api: 'chat' },
      { id: 'b', model: 'e', after: ['a'], gap_ms: 7, prompt_tokens: 3, output_tokens: 0, stream: false, api: 'embeddings' },
    ]);
    expect(formatTraceLine(t.requests[0]!)).not.toContain('stream');
  });
});
