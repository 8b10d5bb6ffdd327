// Istio's EnvoyFilter patch semantics, for the patches warmroute's renderer
// uses, applied to a static Envoy bootstrap (no cluster here to run istiod).
// Follows Istio's documented behaviour: patches apply in the order listed;
// a listener matches when one of its filter chains has the named filter;
// MERGE is protobuf merge (messages merge field by field, repeated fields
// append, scalars replace); INSERT_BEFORE puts the value before the matched
// sub-filter; INSERT_FIRST puts a route first in the matched virtual host;
// ADD appends. Anything else throws, so a new kind of patch cannot pass the
// tests unapplied.
type Obj = Record<string, unknown>;

export interface ConfigPatch {
  applyTo: string;
  match?: {
    context?: string;
    listener?: { filterChain?: { filter?: { name?: string; subFilter?: { name?: string } } } };
    routeConfiguration?: { vhost?: { name?: string } };
  };
  patch: { operation: string; value: Obj };
}

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const asArray = (v: unknown): Obj[] => (Array.isArray(v) ? (v as Obj[]) : []);

/** Protobuf merge of `src` into `dst` (in place). */
export function protoMerge(dst: Obj, src: Obj): void {
  for (const [k, v] of Object.entries(src)) {
    const cur = dst[k];
    if (k === '@type' && cur !== undefined && cur !== v) throw new Error(`MERGE: @type ${String(v)} onto ${String(cur)}`);
    if (Array.isArray(v)) dst[k] = [...(Array.isArray(cur) ? cur : []), ...structuredClone(v)];
    else if (isObj(v) && isObj(cur)) protoMerge(cur, v);
    else dst[k] = structuredClone(v);
  }
}

interface Hcm {
  networkFilter: Obj;
  config: Obj;
}

function hcms(bootstrap: Obj): Hcm[] {
  const listeners = asArray((bootstrap.static_resources as Obj | undefined)?.listeners);
  return listeners.flatMap((l) =>
    asArray(l.filter_chains).flatMap((fc) =>
      asArray(fc.filters).flatMap((f) => (f.name === 'envoy.filters.network.http_connection_manager' && isObj(f.typed_config) ? [{ networkFilter: f, config: f.typed_config }] : [])),
    ),
  );
}

function virtualHosts(bootstrap: Obj, name: string | undefined): Obj[] {
  if (!name) throw new Error('route patches here need routeConfiguration.vhost.name');
  return hcms(bootstrap).flatMap((h) => asArray((h.config.route_config as Obj | undefined)?.virtual_hosts).filter((v) => v.name === name));
}

/**
 * Applies `patches` to `bootstrap` (in place) for a proxy of `context`
 * (GATEWAY or SIDECAR_OUTBOUND). Returns how many places each patch changed,
 * so a caller can tell a patch that matched nothing.
 */
export function applyEnvoyFilter(bootstrap: Obj, patches: ConfigPatch[], context: 'GATEWAY' | 'SIDECAR_OUTBOUND'): number[] {
  return patches.map((p) => {
    const ctx = p.match?.context ?? 'ANY';
    if (ctx !== 'ANY' && ctx !== context) return 0;
    const { operation, value } = p.patch;
    const filterName = p.match?.listener?.filterChain?.filter?.name;
    const subFilter = p.match?.listener?.filterChain?.filter?.subFilter?.name;
    const key = `${p.applyTo} ${operation}`;
    switch (key) {
      case 'LISTENER MERGE': {
        const listeners = asArray((bootstrap.static_resources as Obj).listeners).filter((l) => !filterName || asArray(l.filter_chains).some((fc) => asArray(fc.filters).some((f) => f.name === filterName)));
        for (const l of listeners) protoMerge(l, value);
        return listeners.length;
      }
      case 'NETWORK_FILTER MERGE': {
        const targets = hcms(bootstrap).filter((h) => h.networkFilter.name === filterName);
        for (const t of targets) protoMerge(t.networkFilter, value);
        return targets.length;
      }
      case 'HTTP_FILTER INSERT_BEFORE': {
        let n = 0;
        for (const h of hcms(bootstrap)) {
          const filters = asArray(h.config.http_filters);
          const at = filters.findIndex((f) => f.name === subFilter);
          if (at < 0) continue;
          filters.splice(at, 0, structuredClone(value));
          h.config.http_filters = filters;
          n++;
        }
        return n;
      }
      case 'CLUSTER ADD': {
        const sr = bootstrap.static_resources as Obj;
        sr.clusters = [...asArray(sr.clusters), structuredClone(value)];
        return 1;
      }
      case 'VIRTUAL_HOST MERGE': {
        const targets = virtualHosts(bootstrap, p.match?.routeConfiguration?.vhost?.name);
        for (const v of targets) protoMerge(v, value);
        return targets.length;
      }
      case 'HTTP_ROUTE INSERT_FIRST': {
        const targets = virtualHosts(bootstrap, p.match?.routeConfiguration?.vhost?.name);
        for (const v of targets) v.routes = [structuredClone(value), ...asArray(v.routes)];
        return targets.length;
      }
      default:
        throw new Error(`EnvoyFilter patch ${key} is not implemented by this test applier`);
    }
  });
}
