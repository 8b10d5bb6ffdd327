import { describe, expect, it } from 'vitest';
import { EndpointIndex } from './endpoints.ts';
import { Datastore } from '../backends/datastore.ts';
import { Policy } from '../policy/schema.ts';

describe('the pool endpoints warmroute knows', () => {
  const backends = [
    { name: 'a', models: ['m'], url: 'http://10.0.0.1:8000' },
    { name: 'b', models: ['m'], url: 'http://10.0.0.2:8000' },
    { name: 'c', models: ['m'], url: 'http://10.0.0.2:9000' },
    { name: 'pod', models: ['m'], url: 'http://vllm-0.vllm.llm.svc.cluster.local:8000' },
  ];

  it('maps ip:port entries to backends, a bare ip to every port there, and skips unknown ones', () => {
    const store = new Datastore(Policy.parse({ backends }));
    const index = new EndpointIndex(store);
    expect(index.backendsIn(['10.0.0.1:8000', '10.9.9.9:1'])).toEqual(['a']);
    expect(index.backendsIn(['10.0.0.2']).sort()).toEqual(['b', 'c']);
    expect(index.backendsIn([])).toEqual([]);
  });

  it('follows the address the prober resolved for a hostname', () => {
    const store = new Datastore(Policy.parse({ backends }));
    const index = new EndpointIndex(store);
    expect(index.backendsIn(['10.1.2.3:8000'])).toEqual([]);
    store.setAddress('pod', '10.1.2.3:8000');
    expect(index.backendsIn(['10.1.2.3:8000'])).toEqual(['pod']);
  });
});
