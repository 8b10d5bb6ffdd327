// A closed loop of short requests for fault tests: `clients` loops share
// `total` requests; returns counts by "200" or "status code".
import { Agent, request } from 'node:http';

export async function closedLoopCount(gatewayUrl: string, model: string, clients: number, total: number): Promise<Record<string, number>> {
  const url = new URL(gatewayUrl);
  const agent = new Agent({ keepAlive: true, maxSockets: clients });
  const body = Buffer.from(JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }], max_tokens: 1 }));
  const counts: Record<string, number> = {};
  let left = total;
  const one = (): Promise<string> =>
    new Promise((resolve) => {
      const req = request(
        { host: url.hostname, port: url.port, path: '/v1/chat/completions', method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': String(body.length) } },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (d: string) => (text += d));
          res.on('end', () => {
            if (res.statusCode === 200) return resolve('200');
            let code = '';
            try {
              code = String((JSON.parse(text) as { error?: { code?: string } }).error?.code ?? '');
            } catch {
              code = text.slice(0, 60);
            }
            resolve(`${res.statusCode} ${code}`);
          });
        },
      );
      req.on('error', (e) => resolve(`error ${e.message}`));
      req.end(body);
    });
  const loop = async (): Promise<void> => {
    while (left-- > 0) {
      const k = await one();
      counts[k] = (counts[k] ?? 0) + 1;
    }
  };
  await Promise.all(Array.from({ length: clients }, loop));
  agent.destroy();
  return counts;
}
