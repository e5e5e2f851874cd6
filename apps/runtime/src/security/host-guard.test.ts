import { describe, expect, it } from 'vitest';
import { adminHostRefusal, isPublicPath, parseAllowedHosts, parseHost, requestedHost, type AdminSurfacePolicy } from './host-guard.ts';
import { trustProxyFromEnv } from './client-address.ts';

const open: AdminSurfacePolicy = { adminToken: undefined, allowedHosts: [], trustProxy: undefined };
const locked: AdminSurfacePolicy = { adminToken: 't', allowedHosts: parseAllowedHosts('flowdesk.example.com, ops.example.com:8443'), trustProxy: undefined };

describe('parseHost', () => {
  it('splits names, ports and IPv6 literals, lower-cased', () => {
    expect(parseHost('LocalHost:3000')).toEqual({ name: 'localhost', port: '3000' });
    expect(parseHost('[::1]:8080')).toEqual({ name: '[::1]', port: '8080' });
    expect(parseHost('[::1]')).toEqual({ name: '[::1]' });
    expect(parseHost('127.0.0.1')).toEqual({ name: '127.0.0.1' });
  });
  it('refuses what is not a host', () => {
    for (const h of ['', 'a b', 'user@localhost', 'localhost/x', 'http://localhost', 'localhost:99999', '::1', 'localhost:']) expect(parseHost(h), h).toBeUndefined();
  });
});

describe('adminHostRefusal', () => {
  it('lets loopback names through on any port, and nothing else without a token', () => {
    for (const h of ['127.0.0.1', 'localhost:1', '[::1]:3000']) expect(adminHostRefusal(h, {}, open)).toBeUndefined();
    for (const h of ['rebind.evil.example', 'localhost.evil.example', '127.0.0.2', '0.0.0.0:3000', 'flowdesk.example.com']) {
      expect(adminHostRefusal(h, {}, open)).toMatch(/not a loopback name/);
    }
    expect(adminHostRefusal(undefined, {}, open)).toBe('a Host header is required');
  });
  it('with a token: listed names (any port, or the listed one) only', () => {
    expect(adminHostRefusal('flowdesk.example.com:443', {}, locked)).toBeUndefined();
    expect(adminHostRefusal('ops.example.com:8443', {}, locked)).toBeUndefined();
    expect(adminHostRefusal('ops.example.com', {}, locked)).toMatch(/not in FLOWDESK_ALLOWED_HOSTS/);
    expect(adminHostRefusal('evil.example.com', {}, locked)).toMatch(/not in FLOWDESK_ALLOWED_HOSTS/);
  });
  it('a loopback Host that came through a proxy needs a token', () => {
    expect(adminHostRefusal('127.0.0.1:3000', { 'x-forwarded-for': '203.0.113.1' }, open)).toMatch(/proxy or tunnel/);
    expect(adminHostRefusal('127.0.0.1:3000', { 'x-forwarded-for': '203.0.113.1' }, locked)).toBeUndefined();
  });
});

describe('requestedHost', () => {
  const req = (peer: string, headers: Record<string, string>) => ({ headers, socket: { remoteAddress: peer } }) as never;
  it('takes X-Forwarded-Host only from a trusted proxy', () => {
    const trust = trustProxyFromEnv('loopback');
    expect(requestedHost(req('127.0.0.1', { host: 'localhost', 'x-forwarded-host': 'a.example, b.example' }), trust)).toBe('a.example');
    expect(requestedHost(req('203.0.113.9', { host: 'localhost', 'x-forwarded-host': 'a.example' }), trust)).toBe('localhost');
    expect(requestedHost(req('127.0.0.1', { host: 'localhost', 'x-forwarded-host': 'a.example' }), undefined)).toBe('localhost');
  });
});

describe('settings', () => {
  it('FLOWDESK_ALLOWED_HOSTS refuses URLs and paths, naming the entry', () => {
    expect(() => parseAllowedHosts('ok.example, https://x.example')).toThrow('"https://x.example" is not a host name');
    expect(parseAllowedHosts(' ')).toEqual([]);
  });
  it('FLOWDESK_TRUST_PROXY: off, a hop count, or addresses; never "true"', () => {
    expect(trustProxyFromEnv(undefined)).toBeUndefined();
    expect(trustProxyFromEnv('0')).toBeUndefined();
    const two = trustProxyFromEnv('2')!;
    expect([two('x', 0), two('x', 1), two('x', 2)]).toEqual([true, true, false]);
    const nets = trustProxyFromEnv('10.0.0.0/8, loopback')!;
    expect([nets('10.1.2.3', 0), nets('127.0.0.1', 0), nets('192.0.2.1', 0)]).toEqual([true, true, false]);
    expect(() => trustProxyFromEnv('true')).toThrow(/FLOWDESK_TRUST_PROXY=true/);
    expect(() => trustProxyFromEnv('not-an-ip')).toThrow(/FLOWDESK_TRUST_PROXY="not-an-ip"/);
  });
});

describe('isPublicPath', () => {
  it('lists the public surface exactly; everything else is admin', () => {
    for (const p of ['/hooks/lead', '/r/abc', '/oauth/callback', '/healthz']) expect(isPublicPath(p), p).toBe(true);
    for (const p of ['/', '/api/flows', '/metrics', '/hooks', '/HEALTHZ', '/healthz/x', '/oauth/callbackx', '/flows/lead']) expect(isPublicPath(p), p).toBe(false);
  });
});
