import { describe, expect, it } from 'vitest';
import { APP_SPECS } from './app-specs.ts';
import { checkConnectionInput, MASK, maskAuth, type ConnectionInput } from './connections.ts';

const check = (body: unknown, existing?: ConnectionInput) => checkConnectionInput(body, APP_SPECS, existing);
const errorsOf = (body: unknown, existing?: ConnectionInput) => {
  const r = check(body, existing);
  return r.ok ? [] : r.errors;
};

describe('checkConnectionInput', () => {
  it('takes each auth shape of the design', () => {
    const base = { id: 'crm', app: 'http', name: 'CRM', baseUrl: 'https://crm.example.com/api/' };
    expect(check({ ...base, auth: { type: 'bearer', token: 't0k3n' } })).toEqual({ ok: true, value: { ...base, baseUrl: 'https://crm.example.com/api', auth: { type: 'bearer', token: 't0k3n' } } });
    expect(check({ ...base, auth: { type: 'apiKey', in: 'header', name: 'X-Api-Key', value: 'k' } }).ok).toBe(true);
    expect(check({ ...base, auth: { type: 'apiKey', in: 'query', name: 'api_key', value: 'k' } }).ok).toBe(true);
    expect(check({ ...base, auth: { type: 'basic', username: 'me', password: 'pw' } }).ok).toBe(true);
    const oauth = { type: 'oauth2', grant: 'authorization_code', clientId: 'id', clientSecret: 's', authorizeUrl: 'https://id.example.com/authorize', tokenUrl: 'https://id.example.com/token', scopes: ['a', 'b'] };
    expect(check({ ...base, auth: oauth })).toMatchObject({ ok: true, value: { auth: oauth } });
    expect(check({ ...base, auth: { ...oauth, grant: 'client_credentials', authorizeUrl: undefined } }).ok).toBe(true);
  });

  it('names every bad field with its reason', () => {
    const errs = errorsOf({ id: 'Bad Id', app: 'nope', name: '', auth: { type: 'bearer' }, baseUrl: 'ftp://x', extra: 1 });
    expect(errs.map((e) => e.path).sort()).toEqual(['/app', '/auth/token', '/baseUrl', '/extra', '/id', '/name']);
    expect(errorsOf('x')).toEqual([{ path: '', message: expect.stringContaining('JSON object') }]);
    expect(errorsOf({ id: 'a', app: 'http', name: 'n', auth: { type: 'magic' }, baseUrl: 'https://x.example' })).toEqual([{ path: '/auth/type', message: expect.stringContaining('bearer, apiKey, basic, oauth2') }]);
  });

  it('refuses what would leak or mislead: credentials in a base URL, reserved header names, line breaks, ":" in a basic user', () => {
    const b = { id: 'a', app: 'http', name: 'n' };
    expect(errorsOf({ ...b, baseUrl: 'https://u:p@x.example', auth: { type: 'bearer', token: 't' } })).toEqual([{ path: '/baseUrl', message: expect.stringContaining('user name or password') }]);
    expect(errorsOf({ ...b, baseUrl: 'https://x.example?k=1', auth: { type: 'bearer', token: 't' } })[0]!.path).toBe('/baseUrl');
    expect(errorsOf({ ...b, baseUrl: 'https://x.example', auth: { type: 'apiKey', in: 'header', name: 'Host', value: 'v' } })[0]!.path).toBe('/auth/name');
    expect(errorsOf({ ...b, baseUrl: 'https://x.example', auth: { type: 'apiKey', in: 'header', name: 'X Key', value: 'v' } })[0]!.path).toBe('/auth/name');
    expect(errorsOf({ ...b, baseUrl: 'https://x.example', auth: { type: 'bearer', token: 'a\r\nX-Evil: 1' } })[0]!.path).toBe('/auth/token');
    expect(errorsOf({ ...b, baseUrl: 'https://x.example', auth: { type: 'basic', username: 'a:b', password: 'p' } })[0]!.path).toBe('/auth/username');
  });

  it('an http connection needs a base URL: the only place its credential goes', () => {
    expect(errorsOf({ id: 'a', app: 'http', name: 'n', auth: { type: 'bearer', token: 't' } })).toEqual([{ path: '/baseUrl', message: expect.stringContaining('required') }]);
  });

  it('an app takes only its auth shapes; OAuth2 endpoints default from the app', () => {
    expect(errorsOf({ id: 's', app: 'slack', name: 'n', auth: { type: 'basic', username: 'u', password: 'p' } })).toEqual([{ path: '/auth/type', message: 'Slack connections take bearer or oauth2' }]);
    const r = check({ id: 's', app: 'slack', name: 'n', auth: { type: 'oauth2', grant: 'authorization_code', clientId: 'c', clientSecret: 's' } });
    expect(r).toMatchObject({ ok: true, value: { auth: { authorizeUrl: 'https://slack.com/oauth/v2/authorize', tokenUrl: 'https://slack.com/api/oauth.v2.access', scopes: ['chat:write'] } } });
    expect(errorsOf({ id: 'h', app: 'http', name: 'n', baseUrl: 'https://x.example', auth: { type: 'oauth2', grant: 'authorization_code', clientId: 'c', clientSecret: 's', tokenUrl: 'https://x.example/t' } })).toEqual([
      { path: '/auth/authorizeUrl', message: 'is required for the authorization_code grant' },
    ]);
  });

  it('a Slack webhook URL pasted whole is split into base URL and credential', () => {
    expect(check({ id: 'w', app: 'slack-webhook', name: 'n', auth: { type: 'bearer', token: 'https://hooks.slack.com/services/T1/B2/xyz' } })).toEqual({
      ok: true,
      value: { id: 'w', app: 'slack-webhook', name: 'n', auth: { type: 'bearer', token: 'T1/B2/xyz' } },
    });
    expect(check({ id: 'w', app: 'slack-webhook', name: 'n', auth: { type: 'bearer', token: 'http://127.0.0.1:9/services/T1/B2/xyz' } })).toMatchObject({ ok: true, value: { baseUrl: 'http://127.0.0.1:9', auth: { token: 'T1/B2/xyz' } } });
    expect(errorsOf({ id: 'w', app: 'slack-webhook', name: 'n', auth: { type: 'bearer', token: 'https://hooks.slack.com/other/T1' } })[0]!.path).toBe('/auth/token');
    expect(errorsOf({ id: 'w', app: 'slack-webhook', name: 'n', baseUrl: 'https://elsewhere.example', auth: { type: 'bearer', token: 'https://hooks.slack.com/services/T1/B2/x' } })[0]!.path).toBe('/baseUrl');
  });

  it('on a PUT a masked or missing secret keeps the stored one; id and app cannot change', () => {
    const existing: ConnectionInput = { id: 'crm', app: 'http', name: 'CRM', baseUrl: 'https://crm.example.com', auth: { type: 'basic', username: 'me', password: 'stored-pw' } };
    expect(check({ name: 'CRM 2', auth: { type: 'basic', username: 'me', password: MASK } }, existing)).toMatchObject({ ok: true, value: { name: 'CRM 2', auth: { password: 'stored-pw' } } });
    expect(check({ name: 'CRM 3' }, existing)).toMatchObject({ ok: true, value: { auth: { password: 'stored-pw' } } });
    expect(errorsOf({ id: 'other', app: 'http' }, existing).map((e) => e.path)).toEqual(['/id']);
    expect(errorsOf({ app: 'slack' }, existing).map((e) => e.path)).toContain('/app');
    // a different shape has nothing to keep: the mask is refused
    expect(errorsOf({ auth: { type: 'bearer', token: MASK } }, existing)).toEqual([{ path: '/auth/token', message: expect.stringContaining('mask') }]);
  });

  it('maskAuth hides exactly the secret fields', () => {
    expect(maskAuth({ type: 'apiKey', in: 'header', name: 'X-Key', value: 'v' })).toEqual({ type: 'apiKey', in: 'header', name: 'X-Key', value: MASK });
    expect(maskAuth({ type: 'oauth2', grant: 'client_credentials', clientId: 'c', clientSecret: 's', tokenUrl: 'https://t' })).toEqual({ type: 'oauth2', grant: 'client_credentials', clientId: 'c', clientSecret: MASK, tokenUrl: 'https://t' });
  });

  it('serviceAccount: a JSON key file is expanded into fields, Google\'s endpoint and scope filled in; a PUT with the mask keeps the key', () => {
    const pem = '-----BEGIN PRIVATE KEY-----\nMIIBVQIBADANBgkqhkiG9w0BAQEFAASCAT8wggE7AgEAAkEA\n-----END PRIVATE KEY-----\n';
    const file = { type: 'service_account', client_email: 'robot@p.iam.gserviceaccount.com', private_key: pem, private_key_id: 'abc123', token_uri: 'https://oauth2.googleapis.com/token' };
    const r = check({ id: 'sa', app: 'sheets', name: 'Robot', auth: { type: 'serviceAccount', keyFile: JSON.stringify(file) } });
    expect(r).toEqual({
      ok: true,
      value: { id: 'sa', app: 'sheets', name: 'Robot', auth: { type: 'serviceAccount', clientEmail: file.client_email, privateKey: pem, privateKeyId: 'abc123', tokenUrl: 'https://oauth2.googleapis.com/token', scopes: ['https://www.googleapis.com/auth/spreadsheets'] } },
    });
    const stored = (r as { value: ConnectionInput }).value;
    expect(maskAuth(stored.auth)).toMatchObject({ clientEmail: file.client_email, privateKey: MASK });
    expect(check({ name: 'Robot 2', auth: { ...maskAuth(stored.auth) } }, stored)).toMatchObject({ ok: true, value: { name: 'Robot 2', auth: { privateKey: pem } } });
    // fields given beside the key file win over it (a token endpoint on loopback, EU, a proxy)
    expect(check({ id: 'sa', app: 'sheets', name: 'R', auth: { type: 'serviceAccount', keyFile: file, tokenUrl: 'http://127.0.0.1:9/token' } })).toMatchObject({ ok: true, value: { auth: { tokenUrl: 'http://127.0.0.1:9/token' } } });
    // refusals name the field
    expect(errorsOf({ id: 'sa', app: 'sheets', name: 'R', auth: { type: 'serviceAccount', keyFile: '{' } })).toEqual([{ path: '/auth/keyFile', message: expect.stringContaining('does not parse as JSON') }]);
    expect(errorsOf({ id: 'sa', app: 'sheets', name: 'R', auth: { type: 'serviceAccount', clientEmail: 'robot@p.iam.gserviceaccount.com', privateKey: 'not a key' } })).toEqual([{ path: '/auth/privateKey', message: expect.stringContaining('PEM private key') }]);
    expect(errorsOf({ id: 'sa', app: 'sheets', name: 'R', auth: { type: 'serviceAccount', clientEmail: 'robot@p.iam.gserviceaccount.com', privateKey: pem, scopes: [] } })).toEqual([{ path: '/auth/scopes', message: expect.stringContaining('non-empty') }]);
    expect(errorsOf({ id: 'sa', app: 'http', name: 'R', baseUrl: 'https://x.example', auth: { type: 'serviceAccount', keyFile: file } }).map((e) => e.path)).toContain('/auth/type');
  });
});
