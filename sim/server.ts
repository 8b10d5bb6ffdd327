// startSim: one simulated server on node:http, dispatching to its kind.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SimSpecSchema, type SimSpec } from './spec.ts';
import { resolveSettings } from './core/settings.ts';
import { Engine, type EngineStats } from './core/engine.ts';
import { delay, isAbortError } from './core/delay.ts';
import { createContext } from './http/context.ts';
import { findRoute } from './http/routes.ts';
import { sendJson } from './http/respond.ts';
import { KINDS } from './kinds/registry.ts';

export type SimStats = EngineStats;

export interface RunningSim {
  url: string;
  port: number;
  spec: SimSpec;
  stats(): SimStats;
  /** Extra delay on probe/status (GET) endpoints, in real milliseconds. */
  setProbeDelay(ms: number): void;
  close(): Promise<void>;
}

export async function startSim(spec: SimSpec): Promise<RunningSim> {
  SimSpecSchema.parse(spec);
  const kind = KINDS[spec.kind];
  const settings = resolveSettings(spec, kind.defaults);
  const lifetime = new AbortController();
  const engine = new Engine(settings, lifetime.signal);
  const server_ = kind.create({ settings, engine, startedAt: Date.now() });
  let probeDelayMs = settings.probeDelayMs;

  const server: Server = createServer((req, res) => {
    const ctx = createContext(req, res);
    void (async () => {
      try {
        // Every GET of these servers is a probe/status endpoint; inference is POST.
        if (ctx.method === 'GET' && probeDelayMs > 0) await delay(probeDelayMs, AbortSignal.any([ctx.signal, lifetime.signal]));
        if (server_.intercept?.(ctx)) return;
        const match = findRoute(server_.routes, ctx.method, ctx.url.pathname);
        if (!match) {
          server_.notFound(ctx);
          return;
        }
        await match.route.handler(ctx, match.params);
      } catch (err) {
        if (isAbortError(err)) {
          res.destroy();
          return;
        }
        if (!res.headersSent) {
          sendJson(res, 500, { error: { code: 500, message: err instanceof Error ? err.message : String(err), type: 'server_error' } });
        } else {
          res.destroy();
        }
      }
    })();
  });
  // Simulated loads can be long; never let node time a waiting request out.
  server.requestTimeout = 0;
  server.headersTimeout = 0;
  server.keepAliveTimeout = 5000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(settings.port, settings.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  server_.start?.();
  const host = settings.host.includes(':') ? `[${settings.host}]` : settings.host;

  return {
    url: `http://${host}:${port}`,
    port,
    spec,
    stats: () => engine.stats(),
    setProbeDelay: (ms) => {
      probeDelayMs = Math.max(0, ms);
    },
    close: () =>
      new Promise<void>((resolve) => {
        lifetime.abort(new DOMException('sim closed', 'AbortError'));
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
