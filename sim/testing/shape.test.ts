import { describe, expect, it } from 'vitest';
import { shapeDiff } from './shape.ts';
import { parseSse } from './sse.ts';

describe('shapeDiff', () => {
  it('accepts extra keys but reports missing keys and type changes', () => {
    expect(shapeDiff({ a: 1, b: { c: 'x' } }, { a: 2, b: { c: 'y', d: true }, e: null })).toEqual([]);
    expect(shapeDiff({ a: 1, b: { c: 'x' } }, { a: '1', b: {} })).toEqual(['$.a: expected number, got string', '$.b.c: missing']);
    expect(shapeDiff([{ a: 1 }, { b: 1 }], [{ a: 2 }, { a: 2 }])).toEqual(['$[1].b: missing']);
  });
});

describe('parseSse', () => {
  it('splits events with their names', () => {
    expect(parseSse('event: x\ndata: {"a":1}\n\ndata: [DONE]\n\n')).toEqual([
      { event: 'x', data: '{"a":1}' },
      { event: undefined, data: '[DONE]' },
    ]);
  });
});
