import { describe, expect, it } from 'vitest';
import { makeRedactor, redact, redactHeaders } from './redact.ts';

describe('redact', () => {
  it('replaces every occurrence of a secret in any string, deeply, without touching the input', () => {
    const input = {
      params: { headers: { authorization: 'Bearer sk-live-abc123' }, url: 'http://crm/leads?key=sk-live-abc123' },
      steps: [{ error: 'HTTP 401 for sk-live-abc123 (sk-live-abc123)', attempts: [{ status: 401 }] }],
      n: 4,
      ok: true,
      none: null,
    };
    const out = redact(input, ['sk-live-abc123']);
    expect(out).toEqual({
      params: { headers: { authorization: 'Bearer [redacted]' }, url: 'http://crm/leads?key=[redacted]' },
      steps: [{ error: 'HTTP 401 for [redacted] ([redacted])', attempts: [{ status: 401 }] }],
      n: 4,
      ok: true,
      none: null,
    });
    expect(input.params.headers.authorization).toBe('Bearer sk-live-abc123');
    expect(out.steps).not.toBe(input.steps);
  });

  it('ignores values shorter than 4 characters and handles regex characters and overlaps', () => {
    expect(redact('abc a.b* a.b*c', ['abc', 'a.b*'])).toBe('abc [redacted] [redacted]c');
    expect(redact('token=abcdef', ['abcd', 'abcdef'])).toBe('token=[redacted]');
  });

  it('redacts errors, buffers and cyclic structures', () => {
    const err = new Error('connect failed with key s3cr3t-value');
    const e = redact(err, ['s3cr3t-value']);
    expect(e).toBeInstanceOf(Error);
    expect(e.message).toBe('connect failed with key [redacted]');
    expect(e.stack).not.toContain('s3cr3t-value');
    const cyc: Record<string, unknown> = { s: 's3cr3t-value' };
    cyc.self = cyc;
    const c = redact(cyc, ['s3cr3t-value']) as Record<string, unknown>;
    expect(c.s).toBe('[redacted]');
    expect(c.self).toBe(c);
    expect(redact(Buffer.from('x s3cr3t-value'), ['s3cr3t-value']).toString()).toBe('x [redacted]');
  });

  it('with no secrets returns an equal copy', () => {
    const v = { a: ['x'] };
    const r = makeRedactor([])(v);
    expect(r).toEqual(v);
    expect(r).not.toBe(v);
  });
});

describe('redactHeaders', () => {
  it('replaces credential headers and named extras, keeps the rest', () => {
    const out = redactHeaders(
      {
        'content-type': 'application/json',
        authorization: 'Bearer x',
        Cookie: 'sid=1',
        'webhook-signature': 'v1,abc',
        'stripe-signature': 't=1,v1=ab',
        'x-flowdesk-token': 'tok',
        'x-leads-key': 'custom',
        'x-forwarded-for': ['1.1.1.1', '2.2.2.2'],
        gone: undefined,
      },
      ['X-Leads-Key'],
    );
    expect(out).toEqual({
      'content-type': 'application/json',
      authorization: '[redacted]',
      Cookie: '[redacted]',
      'webhook-signature': '[redacted]',
      'stripe-signature': '[redacted]',
      'x-flowdesk-token': '[redacted]',
      'x-leads-key': '[redacted]',
      'x-forwarded-for': '1.1.1.1, 2.2.2.2',
    });
  });
});
