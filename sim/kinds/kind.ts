// What each simulated server kind provides: its defaults and, given the shared
// engine, its routes.
import type { RequestContext } from '../http/context.ts';
import type { Route } from '../http/routes.ts';
import type { Engine } from '../core/engine.ts';
import type { KindDefaults, SimSettings } from '../core/settings.ts';

export interface SimCore {
  settings: SimSettings;
  engine: Engine;
  /** Wall-clock ms when the server started. */
  startedAt: number;
}

export interface KindServer {
  routes: Route[];
  /** Runs before routing; returns true when it already answered (e.g. 503 while loading). */
  intercept?: (ctx: RequestContext) => boolean;
  /** Answer for a path no route serves. */
  notFound: (ctx: RequestContext) => void;
  /** Runs once the server listens (startup loads). */
  start?: () => void;
}

export interface KindDefinition {
  defaults: KindDefaults;
  create(core: SimCore): KindServer;
}
