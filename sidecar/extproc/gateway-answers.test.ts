import { describe, expect, it } from 'vitest';
import { gatewayAnswer } from './gateway-answers.ts';
import { Datastore } from '../backends/datastore.ts';
import { Policy } from '../policy/schema.ts';

const store = () => new Datastore(Policy.parse({ backends: [{ name: 'a', url: 'http://10.0.0.1:8080', models: ['m1'] }] }));
const status = (r: ReturnType<typeof gatewayAnswer>) => r?.immediate_response?.status?.code;
const body = (r: ReturnType<typeof gatewayAnswer>) => JSON.parse(r!.immediate_response!.body!.toString()) as Record<string, unknown>;

describe('gatewayAnswer (the GET table)', () => {
  it('answers only GETs on its own paths, leaving everything else to routing', () => {
    const s = store();
    expect(gatewayAnswer('POST', { path: '/v1/models', anthropic: false, store: s })).toBeUndefined();
    expect(gatewayAnswer('GET', { path: '/v1/chat/completions', anthropic: false, store: s })).toBeUndefined();
    for (const path of ['/v1/models', '/models', '/api/tags', '/v1/models/m1']) expect(status(gatewayAnswer('GET', { path, anthropic: false, store: s }))).toBe(200);
  });

  it('lists models in the shape of the asking client', () => {
    const s = store();
    expect(body(gatewayAnswer('GET', { path: '/v1/models', anthropic: false, store: s }))).toMatchObject({ object: 'list', data: [{ id: 'm1' }] });
    expect(body(gatewayAnswer('GET', { path: '/v1/models', anthropic: true, store: s }))).toMatchObject({ data: [{ type: 'model', id: 'm1' }], has_more: false });
    expect(body(gatewayAnswer('GET', { path: '/api/tags', anthropic: false, store: s }))).toMatchObject({ models: [{ name: 'm1' }] });
  });

  it('answers an unknown or malformed model id with a 404 error body, not a router error', () => {
    const s = store();
    for (const path of ['/v1/models/nope', '/v1/models/%ZZ']) {
      const r = gatewayAnswer('GET', { path, anthropic: false, store: s });
      expect(status(r)).toBe(404);
      expect(body(r)).toMatchObject({ error: { code: 'model_not_found' } });
    }
  });

  it('/health is 503 while no backend is healthy', () => {
    const s = store();
    s.applyProbe('a', { ok: false, error: 'connection refused' }, 0);
    expect(status(gatewayAnswer('GET', { path: '/health', anthropic: false, store: s }))).toBe(503);
    s.applyProbe('a', { ok: true, snapshot: { healthy: true, models: [], knowsLoaded: true, loading: false } }, 1);
    expect(status(gatewayAnswer('GET', { path: '/health', anthropic: false, store: s }))).toBe(200);
  });
});
