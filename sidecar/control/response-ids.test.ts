import { describe, expect, it } from 'vitest';
import { ResponseIdTable } from './response-ids.ts';

describe('ResponseIdTable', () => {
  it('finds the response id, not an output item id, in JSON and in the first SSE event', () => {
    expect(ResponseIdTable.find('{"created_at":1,"id":"resp_Fb3j","output":[{"id":"msg_C1"}]}')).toBe('resp_Fb3j');
    expect(ResponseIdTable.find('event: response.created\ndata: {"type":"response.created","response":{"id":"resp_Js9","object":"response"}}')).toBe('resp_Js9');
    expect(ResponseIdTable.find('{"id":"msg_only"}')).toBeUndefined();
  });

  it('remembers where each response lives, bounded', () => {
    const t = new ResponseIdTable(2);
    t.remember('resp_1', 'a');
    t.remember('resp_2', 'b');
    t.remember('resp_3', 'a');
    expect(t.backendOf('resp_3')).toBe('a');
    expect(t.backendOf('resp_1')).toBeUndefined();
    expect(t.size).toBe(2);
  });
});
