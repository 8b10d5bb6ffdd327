// The pool's endpoints as warmroute knows them: each policy backend is one
// endpoint at its resolved `ip:port` (the prober resolves hostnames, such as a
// StatefulSet pod's DNS name, off the request path). The index is rebuilt only
// when the datastore changes, so a request's lookups cost O(subset size).
import type { Datastore } from '../backends/datastore.ts';

export class EndpointIndex {
  private builtAt = -1;
  private byAddress = new Map<string, string>();
  private byHost = new Map<string, string[]>();

  constructor(private readonly store: Datastore) {}

  /**
   * Backend names among the gateway's subset entries (`ip:port`, or a bare
   * `ip` meaning any port there). Entries warmroute does not know are skipped:
   * it has no probe facts about them, so it cannot schedule onto them.
   */
  backendsIn(subset: readonly string[]): string[] {
    this.refresh();
    const out = new Set<string>();
    for (const entry of subset) {
      const exact = this.byAddress.get(entry);
      if (exact !== undefined) out.add(exact);
      else for (const name of this.byHost.get(stripBrackets(entry)) ?? []) out.add(name);
    }
    return [...out];
  }

  private refresh(): void {
    if (this.builtAt === this.store.version) return;
    this.byAddress = new Map();
    this.byHost = new Map();
    for (const spec of this.store.specs()) {
      const address = this.store.address(spec.name);
      if (!address) continue;
      this.byAddress.set(address, spec.name);
      const host = stripBrackets(address.slice(0, address.lastIndexOf(':')));
      this.byHost.set(host, [...(this.byHost.get(host) ?? []), spec.name]);
    }
    this.builtAt = this.store.version;
  }
}

function stripBrackets(host: string): string {
  return host.replace(/^\[|\]$/g, '');
}
