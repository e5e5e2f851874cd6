import { describe, expect, it } from 'vitest';
import { LogicError } from './logic.ts';
import { renderActionParams, renderUrl } from './params.ts';
import type { EvalContext } from './types.ts';

const ctx = (secrets: Record<string, string>): EvalContext => ({
  payload: { id: '../../admin#', path: '@127.0.0.1:4150/api/flows', name: 'Ada Lovelace', dots: '..', one: '.', url: 'https://calendly.example/events/1', email: 'ada@example.com' },
  headers: { 'x-host': 'evil.example' },
  vars: { fit: 80 },
  record: null,
  run: { id: 'r1', flowId: 'f', startedAt: '2026-03-02T09:00:00.000Z' },
  now: '2026-03-02T09:00:00.000Z',
  secrets,
  config: { CRM_URL: 'https://crm.example.com/api', CRM_HOST: 'crm.example.com', TEAM: 'a@x.com, b@y.com' },
  steps: {},
});
const full = ctx({ CRM_KEY: 'crm-key-123456' });
const redacted = ctx(new Proxy({}, { get: () => '[redacted]' }) as Record<string, string>);

describe('renderUrl: event values in a URL', () => {
  it('percent-encodes an event value in a path segment or a query value, so it stays one', () => {
    const r = renderUrl('https://crm.example.com/contacts/{{payload.id}}?key={{secrets.CRM_KEY}}', full, 'n.params/url');
    expect(r).toEqual({ value: 'https://crm.example.com/contacts/..%2F..%2Fadmin%23?key=crm-key-123456', originFromEvent: false });
    expect(new URL(r.value as string).pathname).toBe('/contacts/..%2F..%2Fadmin%23');
    expect(renderUrl('https://x.example/s?q={{payload.name}}&a=1', full, 'u').value).toBe('https://x.example/s?q=Ada%20Lovelace&a=1');
  });

  it('lets config (set by the owner) form any part, and encodes what follows it', () => {
    expect(renderUrl('{{config.CRM_URL}}/leads', full, 'u')).toEqual({ value: 'https://crm.example.com/api/leads', originFromEvent: false });
    expect(renderUrl('https://{{config.CRM_HOST}}/c/{{payload.id}}', full, 'u')).toEqual({ value: 'https://crm.example.com/c/..%2F..%2Fadmin%23', originFromEvent: false });
  });

  it('keeps an event value in the scheme, host or port as it is, and says the origin came from the event', () => {
    expect(renderUrl('http://127.0.0.1:4199{{payload.path}}', full, 'u')).toEqual({ value: 'http://127.0.0.1:4199@127.0.0.1:4150/api/flows', originFromEvent: true });
    expect(renderUrl('https://{{headers.x-host}}/x', full, 'u').originFromEvent).toBe(true);
    expect(renderUrl('{{payload.url}}', full, 'u')).toEqual({ value: 'https://calendly.example/events/1', originFromEvent: true });
    // a config base without a path: the event value after it is still in the authority
    expect(renderUrl('https://{{config.CRM_HOST}}{{payload.path}}', full, 'u').originFromEvent).toBe(true);
  });

  it('refuses a path segment an event value makes "." or ".."', () => {
    expect(() => renderUrl('https://crm.example.com/contacts/{{payload.dots}}/x', full, 'n.params/url')).toThrow(LogicError);
    expect(() => renderUrl('https://crm.example.com/contacts/{{payload.one}}{{payload.one}}', full, 'u')).toThrow(/move up the path/);
    expect(() => renderUrl('https://crm.example.com/{{payload.one}}', full, 'u')).toThrow(/"\."/);
    // dots inside a longer segment, or in the query, are data
    expect(renderUrl('https://crm.example.com/f/{{payload.dots}}.json?d={{payload.dots}}', full, 'u').value).toBe('https://crm.example.com/f/...json?d=..');
    // the author's own dot segments are the author's
    expect(renderUrl('https://crm.example.com/a/../b/{{payload.name}}', full, 'u').value).toBe('https://crm.example.com/a/../b/Ada%20Lovelace');
  });
});

describe('renderActionParams: secrets by param role', () => {
  it('renders secrets in the secrets-role params of http.request only, and says the call carries one', () => {
    const out = renderActionParams(
      'http.request',
      { url: '{{config.CRM_URL}}/leads', headers: { authorization: 'Bearer {{secrets.CRM_KEY}}' }, body: { email: '{{payload.email}}' } },
      full,
      redacted,
      'push.params',
    );
    expect(out.params).toEqual({ url: 'https://crm.example.com/api/leads', headers: { authorization: 'Bearer crm-key-123456' }, body: { email: 'ada@example.com' } });
    expect(out.provenance).toEqual({ fromEvent: ['/body/email'], urlOriginFromEvent: [], credential: true, misplacedSecrets: [] });
  });

  it('renders a secret anywhere else "[redacted]" and reports where', () => {
    const emit = renderActionParams('flow.emit', { flowId: 'child', payload: { key: '{{secrets.CRM_KEY}}', k2: { $logic: { var: 'secrets.CRM_KEY' } } } }, full, redacted, 'e.params');
    expect(emit.params).toEqual({ flowId: 'child', payload: { key: '[redacted]', k2: '[redacted]' } });
    expect(emit.provenance.misplacedSecrets).toEqual(['/payload/key', '/payload/k2']);
    expect(emit.provenance.credential).toBe(false);
    const task = renderActionParams('task.create', { title: 'Key {{secrets.CRM_KEY}}', notes: '{{secrets.CRM_KEY}}' }, full, redacted, 't.params');
    expect(JSON.stringify(task.params)).not.toContain('crm-key-123456');
  });

  it('marks a URL built by $logic from event data, and one from config only as the owner\'s', () => {
    const ev = renderActionParams('http.request', { url: { $logic: { cat: [{ var: 'config.CRM_URL' }, '/', { var: 'payload.id' }] } } }, full, redacted, 'p');
    expect(ev.provenance.urlOriginFromEvent).toEqual(['/url']);
    const own = renderActionParams('http.request', { url: { $logic: { cat: [{ var: 'config.CRM_URL' }, '/leads'] } } }, full, redacted, 'p');
    expect(own.provenance.urlOriginFromEvent).toEqual([]);
    expect(own.params.url).toBe('https://crm.example.com/api/leads');
  });

  it('says which e-mail values an event built, and leaves config lists to the owner', () => {
    const out = renderActionParams('email.send', { to: ['{{payload.email}}', 'ops@example.com'], cc: '{{config.TEAM}}', subject: 'Hi', text: 'x' }, full, redacted, 'm');
    expect(out.params.to).toEqual(['ada@example.com', 'ops@example.com']);
    expect(out.params.cc).toBe('a@x.com, b@y.com');
    expect(out.provenance.fromEvent).toEqual(['/to/0']);
  });
});

describe('renderActionParams: a node\'s params planned once', () => {
  it('renders the same params object the same way every call, and a params object changed in place by what it holds now', () => {
    const params: Record<string, unknown> = {
      method: 'POST',
      url: 'https://crm.example.com/contacts/{{payload.id}}',
      headers: { authorization: 'Bearer {{secrets.CRM_KEY}}' },
      body: { name: '{{payload.name}}', fit: { $logic: { var: 'vars.fit' } }, tags: ['lead', '{{payload.email}}'] },
    };
    const first = renderActionParams('http.request', params, full, redacted, 'n.params');
    const again = renderActionParams('http.request', params, full, redacted, 'n.params');
    expect(again).toEqual(first);
    expect(first.params).toEqual({
      method: 'POST',
      url: 'https://crm.example.com/contacts/..%2F..%2Fadmin%23',
      headers: { authorization: 'Bearer crm-key-123456' },
      body: { name: 'Ada Lovelace', fit: 80, tags: ['lead', 'ada@example.com'] },
    });
    expect(first.provenance).toMatchObject({ credential: true, urlOriginFromEvent: [], misplacedSecrets: [] });
    // changed in place: a literal becomes a template, the URL's host comes from the event, a key and an item are added
    params.method = '{{payload.name}}';
    params.url = 'https://{{headers.x-host}}/x';
    (params.body as Record<string, unknown>).extra = '{{secrets.CRM_KEY}}';
    ((params.body as Record<string, unknown>).tags as string[]).push('{{vars.fit}}');
    const changed = renderActionParams('http.request', params, full, redacted, 'n.params');
    expect(changed.params.method).toBe('Ada Lovelace');
    expect(changed.params.url).toBe('https://evil.example/x');
    expect(changed.params.body).toEqual({ name: 'Ada Lovelace', fit: 80, tags: ['lead', 'ada@example.com', 80], extra: 'crm-key-123456' });
    expect(changed.provenance.urlOriginFromEvent).toEqual(['/url']);
    expect(changed.provenance.fromEvent).toContain('/method');
    // exactly what a params object never rendered before gives
    expect(changed).toEqual(renderActionParams('http.request', structuredClone(params), full, redacted, 'n.params'));
  });
});
