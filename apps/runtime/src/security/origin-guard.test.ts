import { describe, expect, it } from 'vitest';
import { crossSiteReason, hasBody, isJsonContentType } from './origin-guard.ts';

describe('crossSiteReason', () => {
  it('passes requests without browser headers, and same-origin ones', () => {
    expect(crossSiteReason({}, '127.0.0.1:3000')).toBeUndefined();
    expect(crossSiteReason({ origin: 'http://127.0.0.1:3000', 'sec-fetch-site': 'same-origin' }, '127.0.0.1:3000')).toBeUndefined();
    expect(crossSiteReason({ origin: 'http://localhost' }, 'localhost:80')).toBeUndefined();
    expect(crossSiteReason({ origin: 'https://flowdesk.example.com' }, 'flowdesk.example.com')).toBeUndefined();
    expect(crossSiteReason({ origin: 'http://[::1]:3000' }, '[::1]:3000')).toBeUndefined();
  });
  it('refuses another origin, a null origin, and Sec-Fetch-Site: cross-site', () => {
    for (const origin of ['https://evil.example', 'http://127.0.0.1:3001', 'http://localhost:3000', 'null', 'file://', 'chrome-extension://abc']) {
      expect(crossSiteReason({ origin }, '127.0.0.1:3000'), origin).toMatch(/cross-origin request refused/);
    }
    expect(crossSiteReason({ 'sec-fetch-site': 'cross-site' }, '127.0.0.1:3000')).toMatch(/Sec-Fetch-Site/);
    expect(crossSiteReason({ origin: 'http://127.0.0.1:3000' }, undefined)).toMatch(/cross-origin/);
  });
});

describe('body and content type', () => {
  it('a body is a non-zero length or chunked', () => {
    expect(hasBody({})).toBe(false);
    expect(hasBody({ 'content-length': '0' })).toBe(false);
    expect(hasBody({ 'content-length': '2' })).toBe(true);
    expect(hasBody({ 'transfer-encoding': 'chunked' })).toBe(true);
  });
  it('JSON means application/json, with parameters', () => {
    expect(isJsonContentType('application/json')).toBe(true);
    expect(isJsonContentType('Application/JSON; charset=utf-8')).toBe(true);
    for (const ct of [undefined, 'text/plain', 'application/jsonp', 'application/x-www-form-urlencoded', 'text/json']) expect(isJsonContentType(ct)).toBe(false);
  });
});
