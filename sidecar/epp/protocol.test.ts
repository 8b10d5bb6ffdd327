import { describe, expect, it } from 'vitest';
import { readServed, readSubset, pickOnBody, pickOnHeaders, streamedChunk, DESTINATION_ENDPOINT, SUBSET_KEY, SUBSET_NAMESPACE, UPSTREAM_ADDRESS } from './protocol.ts';
import type { ProcessingRequest__Output } from '../extproc/generated/envoy/service/ext_proc/v3/ProcessingRequest.ts';
import type { Value__Output } from '../extproc/generated/google/protobuf/Value.ts';

const meta = (ns: string, key: string, value: Value__Output) => ({ filter_metadata: { [ns]: { fields: { [key]: value } } }, typed_filter_metadata: {} });
const msg = (m: Partial<ProcessingRequest__Output>): ProcessingRequest__Output => ({ metadata_context: null, attributes: {}, observability_mode: false, protocol_config: null, ...m });

describe('endpoint-picker protocol', () => {
  it('reads the subset hint as a list of strings or as one comma-separated string', () => {
    expect(readSubset(meta(SUBSET_NAMESPACE, SUBSET_KEY, { listValue: { values: [{ stringValue: '10.0.0.1:8000' }, { stringValue: '10.0.0.2:8000,10.0.0.3:8000' }] } }))).toEqual([
      '10.0.0.1:8000',
      '10.0.0.2:8000',
      '10.0.0.3:8000',
    ]);
    expect(readSubset(meta(SUBSET_NAMESPACE, SUBSET_KEY, { stringValue: ' 10.0.0.1:8000 , 10.0.0.2:8000 ' }))).toEqual(['10.0.0.1:8000', '10.0.0.2:8000']);
  });

  it('tells "no subset" (the whole pool) from an empty subset (nothing eligible)', () => {
    expect(readSubset(null)).toBeUndefined();
    expect(readSubset(meta('other', SUBSET_KEY, { stringValue: '10.0.0.1:1' }))).toBeUndefined();
    expect(readSubset(meta(SUBSET_NAMESPACE, SUBSET_KEY, { listValue: { values: [] } }))).toEqual([]);
  });

  it('reads the served endpoint from envoy.lb metadata, else from the upstream.address attribute', () => {
    expect(readServed(msg({ metadata_context: meta('envoy.lb', 'x-gateway-destination-endpoint-served', { stringValue: '10.0.0.9:8000' }) }))).toBe('10.0.0.9:8000');
    expect(readServed(msg({ attributes: { 'envoy.filters.http.ext_proc': { fields: { [UPSTREAM_ADDRESS]: { stringValue: '10.0.0.8:8000' } } } } }))).toBe('10.0.0.8:8000');
    expect(readServed(msg({}))).toBeUndefined();
  });

  it('puts the same endpoint list in the header and in envoy.lb metadata', () => {
    const pick = { endpoints: ['10.0.0.1:8000', '10.0.0.2:8000'], metadata: { backend: 'a' }, requestId: 'r1', addJsonContentType: false };
    for (const r of [pickOnBody(pick), pickOnHeaders(pick)]) {
      const common = r.request_body?.response ?? r.request_headers?.response;
      const header = common!.header_mutation!.set_headers!.find((h) => h.header!.key === DESTINATION_ENDPOINT)!;
      expect(Buffer.from(header.header!.raw_value as Buffer).toString()).toBe('10.0.0.1:8000,10.0.0.2:8000');
      expect(r.dynamic_metadata!.fields!['envoy.lb']!.structValue!.fields![DESTINATION_ENDPOINT]!.stringValue).toBe('10.0.0.1:8000,10.0.0.2:8000');
      expect(common!.clear_route_cache).toBe(true);
    }
  });

  it('a rewritten body: BUFFERED replaces it with its length, FULL_DUPLEX re-emits it as a streamed chunk', () => {
    const body = Buffer.from('{"model":"x"}');
    const buffered = pickOnBody({ endpoints: ['10.0.0.1:1'], metadata: {}, requestId: 'r', addJsonContentType: true, body });
    expect(buffered.request_body!.response!.body_mutation!.body).toEqual(body);
    const keys = buffered.request_body!.response!.header_mutation!.set_headers!.map((h) => h.header!.key);
    expect(keys).toEqual([DESTINATION_ENDPOINT, 'content-type', 'content-length']);
    expect(streamedChunk('request_body', body, true)).toEqual({ request_body: { response: { body_mutation: { streamed_response: { body, end_of_stream: true } } } } });
  });
});
