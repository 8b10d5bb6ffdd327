import { describe, expect, it } from 'vitest';
import { AdminConfigError, isLoopback, resolveAdminToken } from './auth.ts';

const TOKEN = 'a-long-enough-token-123';
const sidecar = (admin_host: string, admin_token?: string) => ({ admin_host, admin_port: 18091, admin_token });

describe('admin API security defaults', () => {
  it('knows loopback addresses', () => {
    for (const h of ['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]', '::ffff:127.0.0.1']) expect(isLoopback(h), h).toBe(true);
    for (const h of ['0.0.0.0', '::', '10.0.0.5', 'sidecar', '192.168.1.2', '128.0.0.1']) expect(isLoopback(h), h).toBe(false);
  });

  it('is open on loopback without a token, and protected when one is set', () => {
    expect(resolveAdminToken(sidecar('127.0.0.1'), {})).toBeUndefined();
    expect(resolveAdminToken(sidecar('127.0.0.1', TOKEN), {})).toBe(TOKEN);
  });

  it('refuses to start bound off loopback without a token, with a message that says how to fix it', () => {
    expect(() => resolveAdminToken(sidecar('0.0.0.0'), {})).toThrow(AdminConfigError);
    expect(() => resolveAdminToken(sidecar('0.0.0.0'), {})).toThrow(/WARMROUTE_ADMIN_TOKEN.*127\.0\.0\.1/);
    expect(resolveAdminToken(sidecar('0.0.0.0', TOKEN), {})).toBe(TOKEN);
    expect(resolveAdminToken(sidecar('0.0.0.0'), { WARMROUTE_ADMIN_TOKEN: 'x'.repeat(20) })).toBe('x'.repeat(20));
  });

  it('takes the environment over the policy, and rejects a short token', () => {
    expect(resolveAdminToken(sidecar('0.0.0.0', TOKEN), { WARMROUTE_ADMIN_TOKEN: 'y'.repeat(16) })).toBe('y'.repeat(16));
    expect(() => resolveAdminToken(sidecar('0.0.0.0'), { WARMROUTE_ADMIN_TOKEN: 'short' })).toThrow(/at least 16/);
  });
});
