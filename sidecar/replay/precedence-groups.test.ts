import { describe, expect, it } from 'vitest';
import { precedenceGroups } from './precedence-groups.ts';
import { parseTrace } from './trace.ts';

const line = (id: string, extra: string): string => `{"id":"${id}","model":"m","prompt_tokens":1,"output_tokens":1,${extra}}`;

describe('precedence groups', () => {
  it('splits a closed loop at the requests every other one depends on or follows', () => {
    const trace = parseTrace(
      [
        line('p1', '"at_ms":0'),
        line('e1', '"after":"p1"'),
        line('e2', '"after":"e1"'),
        line('c1', '"after":"p1"'),
        line('p2', '"after":["e2","c1"]'),
        line('e3', '"after":"p2"'),
        line('c2', '"after":"p2"'),
      ].join('\n'),
    );
    const ids = precedenceGroups(trace).map((part) => part.map((g) => g.map((r) => r.id).sort()));
    expect(ids).toEqual([[['p1'], ['c1', 'e1', 'e2'], ['p2'], ['c2', 'e3']]]);
  });

  it('leaves out open-loop requests and parts with no order to force', () => {
    const trace = parseTrace([line('a', '"at_ms":0'), line('b', '"at_ms":5'), line('x', '"at_ms":1'), line('y', '"after":"x"')].join('\n'));
    // a and b stand alone; x → y is one part of two groups.
    expect(precedenceGroups(trace).map((part) => part.map((g) => g.map((r) => r.id)))).toEqual([[['x'], ['y']]]);
  });
});
