// Validates Kubernetes and Istio objects against their published OpenAPI
// schemas (the kubernetes-models packages compile them into validators).
// Unknown apiVersion/kind is an error: every manifest we ship must be checked.
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { Service } from 'kubernetes-models/v1/Service';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { ServiceEntry } from '@kubernetes-models/istio/networking.istio.io/v1/ServiceEntry';
import { Gateway } from '@kubernetes-models/istio/networking.istio.io/v1/Gateway';
import { VirtualService } from '@kubernetes-models/istio/networking.istio.io/v1/VirtualService';
import { EnvoyFilter } from '@kubernetes-models/istio/networking.istio.io/v1alpha3/EnvoyFilter';

interface Validatable {
  validate(): void;
}
type Model = new (data: never) => Validatable;

const MODELS: Record<string, Model> = {
  'v1/Namespace': Namespace,
  'v1/ConfigMap': ConfigMap,
  'v1/Service': Service,
  'apps/v1/Deployment': Deployment,
  'networking.istio.io/v1/ServiceEntry': ServiceEntry,
  'networking.istio.io/v1/Gateway': Gateway,
  'networking.istio.io/v1/VirtualService': VirtualService,
  'networking.istio.io/v1alpha3/EnvoyFilter': EnvoyFilter,
};

/** Throws with the schema's complaint, naming the object. */
export function validateManifest(doc: Record<string, unknown>): void {
  const key = `${String(doc.apiVersion)}/${String(doc.kind)}`;
  const model = MODELS[key];
  if (!model) throw new Error(`no schema for ${key}`);
  try {
    new model(doc as never).validate();
  } catch (e) {
    const name = (doc.metadata as { name?: string } | undefined)?.name;
    throw new Error(`${key} ${name ?? '?'}: ${e instanceof Error ? e.message : String(e)}`);
  }
}
