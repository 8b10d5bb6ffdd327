// Live replay's wire side: URLs under a proxy prefix, request bodies per API,
// refusals read from OpenAI-style errors, load counts from /metrics.
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { endpointUrl, parseLoadMetrics, replayLive, requestBody } from './live.ts';
import { parseTrace } from './trace.ts';

describe('live replay', () => {
  it('builds endpoint URLs under any base path', () => {
    expect(endpointUrl('http://h:8080', 'chat')).toBe('http://h:8080/v1/chat/completions');
    expect(endpointUrl('http://h:8080/', 'embeddings')).toBe('http://h:8080/v1/embeddings');
    expect(endpointUrl('http://h:40114/olla/proxy', 'completions')).toBe('http://h:40114/olla/proxy/v1/completions');
    expect(endpointUrl('http://h/v1/', 'messages')).toBe('http://h/v1/messages');
  });

  it('sends bodies of the trace’s size and limits', () => {
    const [chat, emb, msg] = parseTrace(
      [
        '{"id":"a","model":"m","at_ms":0,"prompt_tokens":10,"output_tokens":7}',
        '{"id":"b","model":"e","at_ms":0,"prompt_tokens":3,"output_tokens":0,"api":"embeddings"}',
        '{"id":"c","model":"m","at_ms":0,"prompt_tokens":1,"service_ms":1000,"api":"messages","stream":false}',
      ].join('\n'),
    ).requests;
    expect(requestBody(chat!)).toEqual({ model: 'm', messages: [{ role: 'user', content: 'word'.repeat(10) }], max_tokens: 7, stream: true });
    expect(requestBody(emb!)).toEqual({ model: 'e', input: 'wordwordword' });
    // A recorded request without output tokens: estimated from its service time at 50 tokens/s.
    expect(requestBody(msg!)).toMatchObject({ max_tokens: 50, stream: false });
  });

  it('reads model loads from warmroute /metrics', () => {
    const text = [
      '# HELP warmroute_model_loads_total Model loads',
      'warmroute_model_loads_total{backend="a",model="m1"} 2',
      'warmroute_model_loads_total{backend="b",model="m1"} 1',
      'warmroute_model_loads_total{backend="b",model="m2"} 4',
      'warmroute_model_warm{backend="a",model="m1"} 1',
    ].join('\n');
    expect(parseLoadMetrics(text)).toEqual({ total: 7, byModel: { m1: 3, m2: 4 } });
  });

  it('replays through a proxy prefix, with sessions as headers and refusals by code', async () => {
    const seen: Array<{ url: string; session?: string }> = [];
    const server = createServer((req: IncomingMessage, res) => {
      seen.push({ url: req.url ?? '', session: req.headers['x-session-id'] as string | undefined });
      req.resume();
      req.on('end', () => {
        if (req.url?.endsWith('/embeddings')) res.writeHead(503, { 'content-type': 'application/json' }).end('{"error":{"message":"busy","type":"server_error","code":"overloaded"}}');
        else res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const { port } = server.address() as AddressInfo;
      const trace = parseTrace(
        [
          '{"id":"a","model":"m","session":"s1","at_ms":0,"prompt_tokens":1,"output_tokens":1}',
          '{"id":"b","model":"e","after":"a","gap_ms":5,"prompt_tokens":1,"output_tokens":0,"api":"embeddings"}',
        ].join('\n'),
      );
      const run = await replayLive(trace, { baseUrl: `http://127.0.0.1:${port}/olla/proxy` });
      expect(seen).toEqual([
        { url: '/olla/proxy/v1/chat/completions', session: 's1' },
        { url: '/olla/proxy/v1/embeddings', session: undefined },
      ]);
      expect(run.requests[0]!.failed).toBeUndefined();
      expect(run.requests[1]!.failed).toEqual({ status: 503, code: 'overloaded' });
      expect(run.loads).toBeUndefined();
    } finally {
      server.close();
    }
  });
});
