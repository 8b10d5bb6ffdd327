// The GET requests the gateway answers itself, from memory, without a
// backend: model lists in the OpenAI, Anthropic and Ollama shapes, one model,
// and the gateway's health. A path → handler table, so the stream handler
// only asks "is this one of ours?".
import type { ProcessingResponse } from './generated/envoy/service/ext_proc/v3/ProcessingResponse.ts';
import { errorResponse, immediate } from './responses.ts';
import { errorReply } from '../control/errors.ts';
import { anthropicModel, anthropicModels, ollamaTags, openAiModel, openAiModels } from '../control/catalog.ts';
import type { Datastore } from '../backends/datastore.ts';

export interface GatewayGet {
  path: string;
  /** The client sent `anthropic-version`: answer in Anthropic's shapes. */
  anthropic: boolean;
  store: Datastore;
}

type Answer = (q: GatewayGet) => ProcessingResponse;

const models: Answer = ({ store, anthropic }) => {
  const catalog = store.modelCatalog();
  return immediate(200, anthropic ? anthropicModels(catalog) : openAiModels(catalog), 'warmroute_models');
};

const oneModel: Answer = ({ store, anthropic, path }) => {
  const id = decodeOrRaw(path.slice(MODEL_PREFIX.length));
  const one = store.modelCatalog().filter((m) => m.model === id);
  if (one.length === 0) return errorResponse(errorReply(404, 'model_not_found', `The model '${id}' is not served by any backend.`, { anthropic }));
  return immediate(200, anthropic ? anthropicModel(one) : openAiModel(one), 'warmroute_models');
};

function decodeOrRaw(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s; // a malformed escape names no model: a 404 below, not a router error
  }
}

// For load balancers and clients that check the gateway: up while any backend is.
const health: Answer = ({ store }) => {
  const up = store.views().some((v) => v.healthy);
  return immediate(up ? 200 : 503, JSON.stringify({ status: up ? 'ok' : 'no healthy backend' }), 'warmroute_health');
};

const EXACT = new Map<string, Answer>([
  ['/v1/models', models],
  ['/models', models],
  ['/api/tags', ({ store }) => immediate(200, ollamaTags(store.modelCatalog()), 'warmroute_models')],
  ['/health', health],
]);
const MODEL_PREFIX = '/v1/models/';

/** The gateway's own answer to GET `path`, or undefined when the request is not one of them. */
export function gatewayAnswer(method: string, q: GatewayGet): ProcessingResponse | undefined {
  if (method !== 'GET') return undefined;
  const answer = EXACT.get(q.path) ?? (q.path.startsWith(MODEL_PREFIX) ? oneModel : undefined);
  return answer?.(q);
}
