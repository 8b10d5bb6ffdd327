import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { JsonSyntaxError, scanJsonObject } from './json-scan.ts';

const WANT = new Set(['model', 'stream', 'metadata']);
const scan = (s: string, want: ReadonlySet<string> = WANT) => scanJsonObject(Buffer.from(s), want, new Set(['messages']), 2);
const slice = (s: string, r: [number, number] | undefined) => (r ? Buffer.from(s).subarray(r[0], r[1]).toString() : undefined);

describe('scanJsonObject', () => {
  it('finds top-level values wherever they are, ignoring nested keys of the same name', () => {
    const s = '{"messages":[{"role":"user","content":"say \\"model\\": x","model":"inner"}],"stream" : true,"model":"qwen3:8b","metadata":{"model":1}}';
    const r = scan(s);
    expect(slice(s, r.values.get('model'))).toBe('"qwen3:8b"');
    expect(slice(s, r.values.get('stream'))).toBe('true');
    expect(JSON.parse(slice(s, r.values.get('metadata'))!)).toEqual({ model: 1 });
    expect(r.elements.get('messages')!.map((e) => JSON.parse(slice(s, e)!))).toEqual([{ role: 'user', content: 'say "model": x', model: 'inner' }]);
  });

  it('handles escaped backslashes before a closing quote', () => {
    const s = '{"a":"c:\\\\","model":"m"}';
    expect(slice(s, scan(s).values.get('model'))).toBe('"m"');
  });

  it('agrees with JSON.parse on every generated object (values of wanted keys)', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.oneof(fc.constant('model'), fc.constant('stream'), fc.string()), fc.jsonValue()), fc.boolean(), (obj, pretty) => {
        const s = pretty ? JSON.stringify(obj, null, 2) : JSON.stringify(obj);
        const parsed = JSON.parse(s) as Record<string, unknown>;
        const r = scan(s);
        for (const k of ['model', 'stream'])
          if (Object.prototype.hasOwnProperty.call(parsed, k)) expect(JSON.parse(slice(s, r.values.get(k))!)).toEqual(parsed[k]);
          else expect(r.values.has(k)).toBe(false);
      }),
      { numRuns: 300 },
    );
  });

  it('counts array elements and non-object elements as JSON.parse sees them', () => {
    const element = fc.oneof(fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 2 })), fc.jsonValue({ maxDepth: 2 }));
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 2 })), fc.oneof(fc.array(element, { maxLength: 6 }), fc.jsonValue({ maxDepth: 1 })), fc.boolean(), (rest, messages, pretty) => {
        const obj = { ...rest, messages };
        const s = pretty ? JSON.stringify(obj, null, 2) : JSON.stringify(obj);
        const m = (JSON.parse(s) as { messages: unknown }).messages;
        const r = scan(s);
        if (!Array.isArray(m)) {
          expect(r.counts.has('messages')).toBe(false);
          return;
        }
        const isObject = (v: unknown) => typeof v === 'object' && v !== null && !Array.isArray(v);
        expect(r.counts.get('messages')).toEqual({ elements: m.length, nonObjects: m.filter((v) => !isObject(v)).length });
        expect(r.elements.get('messages')!.map((e) => JSON.parse(slice(s, e)!))).toEqual(m.slice(0, 2));
      }),
      { numRuns: 300 },
    );
  });

  it('rejects a body that is not UTF-8', () => {
    const body = Buffer.concat([Buffer.from('{"model":"m","x":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}')]);
    expect(() => scanJsonObject(body, WANT)).toThrow(/UTF-8/);
  });

  it('rejects every truncation of a valid object, as JSON.parse does', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue(), { minKeys: 1 }), fc.nat(), (obj, cut) => {
        const s = JSON.stringify(obj);
        const t = s.slice(0, cut % s.length);
        expect(() => scan(t)).toThrow(JsonSyntaxError);
      }),
      { numRuns: 300 },
    );
  });

  it.each([
    ['not an object', '[1,2]'],
    ['bare literal', 'true'],
    ['trailing garbage', '{"model":"m"} x'],
    ['missing colon', '{"model" "m"}'],
    ['missing comma', '{"a":1 "model":"m"}'],
    ['trailing comma', '{"model":"m",}'],
    ['bad literal', '{"model":"m","stream":tru}'],
    ['bad number', '{"model":"m","n":01}'],
    ['unterminated string', '{"model":"m'],
    ['unbalanced', '{"model":"m","a":[1,2}'],
    ['empty', ''],
  ])('rejects %s', (_n, s) => {
    expect(() => scan(s)).toThrow(JsonSyntaxError);
  });

  it('bounds nesting depth', () => {
    const deep = '{"a":' + '['.repeat(10_000) + ']'.repeat(10_000) + '}';
    expect(() => scan(deep)).toThrow(/nesting too deep/);
  });
});
