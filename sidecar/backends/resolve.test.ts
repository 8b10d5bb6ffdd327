import { describe, expect, it } from 'vitest';

import { formatAddress, hostAndPort, resolveHost } from './resolve.ts';

describe('resolve', () => {
  it('host and port of backend URLs, default ports by scheme, IPv6 without brackets', () => {
    expect(hostAndPort('http://gpu-box.lan:8080/v1')).toEqual({ host: 'gpu-box.lan', port: '8080' });
    expect(hostAndPort('http://10.0.0.5')).toEqual({ host: '10.0.0.5', port: '80' });
    expect(hostAndPort('https://llm.example')).toEqual({ host: 'llm.example', port: '443' });
    expect(hostAndPort('http://[fd00::1]:11434')).toEqual({ host: 'fd00::1', port: '11434' });
  });

  it('ip:port, IPv6 in brackets', () => {
    expect(formatAddress('10.0.0.5', '8080')).toBe('10.0.0.5:8080');
    expect(formatAddress('fd00::1', '11434')).toBe('[fd00::1]:11434');
  });

  it('IP literals resolve to themselves; localhost through the OS resolver', async () => {
    expect(await resolveHost('192.0.2.1')).toBe('192.0.2.1');
    expect(await resolveHost('::1')).toBe('::1');
    expect(['127.0.0.1', '::1']).toContain(await resolveHost('localhost'));
  });
});
