// A tiny route table: method + exact path (or a pattern) → handler.
import type { RequestContext } from './context.ts';

export type Handler = (ctx: RequestContext, params: string[]) => Promise<void> | void;

export interface Route {
  method: 'GET' | 'POST' | 'DELETE' | 'HEAD';
  path: string | RegExp;
  handler: Handler;
}

export function findRoute(routes: readonly Route[], method: string, pathname: string): { route: Route; params: string[] } | undefined {
  for (const route of routes) {
    if (route.method !== method && !(method === 'HEAD' && route.method === 'GET')) continue;
    if (typeof route.path === 'string') {
      if (route.path === pathname) return { route, params: [] };
      continue;
    }
    const m = route.path.exec(pathname);
    if (m) return { route, params: m.slice(1).map((p) => decodeURIComponent(p ?? '')) };
  }
  return undefined;
}

