// Servers know a model by several names (llama.cpp `--alias`, Ollama's
// implicit `:latest`). The datastore matches the id an adapter reports
// against the policy, so report the name the policy uses when one fits.
import type { BackendSpec } from '../../policy/schema.ts';

function policyKnows(spec: BackendSpec, name: string): boolean {
  return spec.models.includes(name) || Object.values(spec.aliases).includes(name);
}

/** `id` unless the policy lists none of it but lists one of the server's other names for the same model. */
export function nameForPolicy(spec: BackendSpec, id: string, otherNames: readonly string[] = []): string {
  if (policyKnows(spec, id)) return id;
  return otherNames.find((n) => n !== id && policyKnows(spec, n)) ?? id;
}
