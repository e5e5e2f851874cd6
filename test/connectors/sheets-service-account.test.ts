// sheets.appendRow with a Google service-account connection: the runtime signs an RS256 assertion (RFC
// 7523 JWT bearer grant) and posts it to the connection's token endpoint — here a loopback endpoint that
// answers as Google's server-to-server OAuth 2.0 documents and checks the signature with the account's
// public key. The token is cached until a minute before it expires, asked for again once after a 401,
// and a key Google does not accept breaks the connection with Google's words, one alert, nothing sent.
// Bad keys are refused at creation naming the field.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeProtectedHeader, decodeJwt } from 'jose';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startTestRuntime, type TestRuntime } from '../support/runtime.ts';
import { startFakeSheets, type FakeSheets } from '../support/fakes/sheets.ts';
import { startFakeGoogleToken, type FakeGoogleToken } from '../support/fakes/google-token.ts';

const T0 = Date.parse('2026-03-02T09:00:00.000Z');
const BOOK = '1SeRvIcEaCcOuNtBoOk0123456789abcdefghij';
const EMAIL = 'flowdesk@acme-crm.iam.gserviceaccount.com';
const KEY_ID = randomBytes(20).toString('hex');
const SCOPE = 'https://www.googleapis.com/auth/spreadsheets';

const account = generateKeyPairSync('rsa', { modulusLength: 2048 });
const PEM = account.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
/** a line from the middle of the key's base64: what a leak would show */
const PEM_LINE = PEM.split('\n')[5]!;

/** Google's JSON key file, as the Cloud console hands it out. */
const keyFile = (pem = PEM, email = EMAIL) =>
  JSON.stringify(
    {
      type: 'service_account',
      project_id: 'acme-crm',
      private_key_id: KEY_ID,
      private_key: pem,
      client_email: email,
      client_id: '104729123456789012345',
      auth_uri: 'https://accounts.google.com/o/oauth2/auth',
      token_uri: 'https://oauth2.googleapis.com/token',
      auth_provider_x509_cert_url: 'https://www.googleapis.com/oauth2/v1/certs',
      client_x509_cert_url: `https://www.googleapis.com/robot/v1/metadata/x509/${encodeURIComponent(email)}`,
      universe_domain: 'googleapis.com',
    },
    null,
    2,
  );

let rt: TestRuntime;
let sheets: FakeSheets;
let google: FakeGoogleToken;

const flow = (id: string, connection: string) => ({
  dsl: 1,
  id,
  name: id,
  severity: 'P2',
  sop: ['Add the row to the sheet by hand'],
  trigger: { type: 'webhook', path: id, auth: { type: 'none' } },
  nodes: [
    { id: 'row', type: 'action', action: 'sheets.appendRow', retry: { delays: [] }, params: { connection, spreadsheetId: BOOK, range: 'Clients', values: ['{{payload.email}}', '{{payload.name}}'] } },
    { id: 'end', type: 'end' },
  ],
  edges: [{ from: 'trigger', to: 'row' }, { from: 'row', to: 'end' }],
});

async function append(path: string, payload: Record<string, string>) {
  const { body } = await rt.post(`/hooks/${path}`, payload);
  await rt.settle();
  return (await rt.get(`/api/runs/${body.runId}`)).body;
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(join(dir, e.name)) : [join(dir, e.name)]));
}

beforeAll(async () => {
  rt = await startTestRuntime();
  sheets = await startFakeSheets(rt.clock);
  sheets.books.set(BOOK, new Map([['Clients', [['email', 'name']]]]));
  google = await startFakeGoogleToken(rt.clock);
  google.accounts.set(EMAIL, account.publicKey);
  google.onIssue = (t) => sheets.tokens.add(t);
  // the key file pasted whole; the token endpoint set beside it (its token_uri is Google's)
  const created = await rt.post('/api/connections', { id: 'sheets-sa', app: 'sheets', name: 'Acme sheets robot', baseUrl: sheets.url, auth: { type: 'serviceAccount', keyFile: keyFile(), tokenUrl: google.tokenUrl } });
  expect(created.status).toBe(201);
  expect((await rt.put('/api/flows/sa-append', flow('sa-append', 'sheets-sa'))).status).toBe(200);
});
afterAll(async () => {
  await rt.dispose();
  await sheets.close();
  await google.close();
});
/** every assertion the runtime signed, kept across the per-test clearing of the fake's requests */
const assertions: string[] = [];
beforeEach(() => {
  sheets.requests.length = 0;
  assertions.push(...google.requests.map((r) => r.form.assertion!));
  google.requests.length = 0;
});

describe('a Google service-account connection', () => {
  it('is answered masked: the key never comes back, and the data dir holds it sealed only', async () => {
    const view = (await rt.get('/api/connections/sheets-sa')).body;
    expect(view).toMatchObject({
      app: 'sheets',
      status: 'ready',
      auth: { type: 'serviceAccount', clientEmail: EMAIL, privateKey: '********', privateKeyId: KEY_ID, tokenUrl: google.tokenUrl, scopes: [SCOPE] },
    });
    expect(JSON.stringify(view)).not.toContain(PEM_LINE);
    for (const f of filesUnder(rt.dataDir)) expect(readFileSync(f, 'latin1').includes(PEM_LINE), f).toBe(false);
  });

  it('appends a row: one signed assertion posted to the token endpoint (every field checked), the token on the Sheets call', async () => {
    rt.clock.set(new Date(T0).toISOString());
    const run = await append('sa-append', { email: 'ada@example.com', name: 'Ada' });
    expect(run.status).toBe('succeeded');
    expect(google.requests).toHaveLength(1);
    const t = google.requests[0]!;
    expect(t.method).toBe('POST');
    expect(t.path).toBe('/token');
    expect(t.headers['content-type']).toMatch(/^application\/x-www-form-urlencoded/);
    expect(t.headers.authorization).toBeUndefined();
    expect(Object.keys(t.form).sort()).toEqual(['assertion', 'grant_type']);
    expect(t.form.grant_type).toBe('urn:ietf:params:oauth:grant-type:jwt-bearer');
    expect(decodeProtectedHeader(t.form.assertion!)).toEqual({ alg: 'RS256', typ: 'JWT', kid: KEY_ID });
    const iat = T0 / 1000;
    expect(decodeJwt(t.form.assertion!)).toEqual({ iss: EMAIL, scope: SCOPE, aud: google.tokenUrl, iat, exp: iat + 3600 });
    expect(sheets.requests).toHaveLength(1);
    expect(sheets.requests[0]!.headers.authorization).toBe(`Bearer ${google.issued.at(-1)!.token}`);
    expect(sheets.books.get(BOOK)!.get('Clients')!.at(-1)).toEqual(['ada@example.com', 'Ada']);
    expect(JSON.stringify(run)).not.toContain(google.issued.at(-1)!.token);
    expect(JSON.stringify(run)).not.toContain(t.form.assertion!);
  });

  it('keeps the token until a minute before it expires, then signs a new assertion', async () => {
    const first = google.issued.at(-1)!;
    rt.clock.set(new Date(T0 + 30 * 60_000).toISOString());
    expect((await append('sa-append', { email: 'bo@example.com', name: 'Bo' })).status).toBe('succeeded');
    expect(google.requests).toHaveLength(0);
    expect(sheets.requests.at(-1)!.headers.authorization).toBe(`Bearer ${first.token}`);
    // 3599 s after T0 the token expires; 30 s before that it is within the refresh margin
    const late = first.expiresAtMs - 30_000;
    rt.clock.set(new Date(late).toISOString());
    expect((await append('sa-append', { email: 'cy@example.com', name: 'Cy' })).status).toBe('succeeded');
    expect(google.requests).toHaveLength(1);
    expect(decodeJwt(google.requests[0]!.form.assertion!).iat).toBe(Math.floor(late / 1000));
    expect(sheets.requests.at(-1)!.headers.authorization).toBe(`Bearer ${google.issued.at(-1)!.token}`);
    expect(google.issued.at(-1)!.token).not.toBe(first.token);
  });

  it('a token Sheets refuses (401) is replaced once and the call made again', async () => {
    sheets.tokens.delete(google.issued.at(-1)!.token);
    const run = await append('sa-append', { email: 'di@example.com', name: 'Di' });
    expect(run.status).toBe('succeeded');
    expect(google.requests).toHaveLength(1);
    expect(sheets.requests.map((r) => r.headers.authorization)).toEqual([expect.stringMatching(/^Bearer /), `Bearer ${google.issued.at(-1)!.token}`]);
    expect(sheets.requests[0]!.headers.authorization).not.toBe(sheets.requests[1]!.headers.authorization);
  });

  it('passes the connection test', async () => {
    const probe = await rt.post('/api/connections/sheets-sa/test', {});
    expect(probe.body).toMatchObject({ ok: true });
  });

  it('after use, neither the key, the access tokens nor the assertions are in clear in the data dir or any API answer', async () => {
    await rt.settle();
    const secrets = [PEM_LINE, ...google.issued.map((i) => i.token), ...assertions];
    expect(google.issued.length).toBeGreaterThanOrEqual(3);
    expect(assertions.length).toBeGreaterThanOrEqual(3);
    const places: Record<string, string> = {};
    for (const f of filesUnder(rt.dataDir)) places[f] = readFileSync(f, 'latin1');
    for (const path of ['/api/connections', '/api/connections/sheets-sa', '/api/runs?limit=200', '/api/alerts', '/api/dead-letters', '/api/flows/sa-append']) places[path] = JSON.stringify((await rt.get(path)).body);
    for (const r of (await rt.get('/api/runs?limit=200')).body as { id: string }[]) places[`run ${r.id}`] = JSON.stringify((await rt.get(`/api/runs/${r.id}`)).body);
    expect(Object.keys(places).filter((k) => k.startsWith('run ')).length).toBeGreaterThanOrEqual(4);
    for (const [where, text] of Object.entries(places)) for (const s of secrets) expect(text.includes(s), `${where} holds a secret`).toBe(false);
  });
});

describe('bad keys', () => {
  const create = (id: string, auth: Record<string, unknown>, app = 'sheets') => rt.post('/api/connections', { id, app, name: id, baseUrl: sheets.url, auth: { type: 'serviceAccount', tokenUrl: google.tokenUrl, ...auth } });

  it('are refused at creation with a clear error naming the field, and nothing is stored', async () => {
    const notJson = await create('bad-json', { keyFile: '{"type": "service_account", "private_key": ' });
    expect(notJson.status).toBe(422);
    expect(notJson.body.errors).toEqual([{ path: '/auth/keyFile', message: expect.stringContaining('does not parse as JSON') }]);
    const userKey = await create('bad-type', { keyFile: JSON.stringify({ type: 'authorized_user', client_id: 'x', client_secret: 'y', refresh_token: 'z' }) });
    expect(userKey.status).toBe(422);
    expect(userKey.body.errors).toEqual([{ path: '/auth/keyFile', message: expect.stringContaining('(this one is "authorized_user")') }]);
    const noPem = await create('bad-pem', { clientEmail: EMAIL, privateKey: 'MIIEvQIBADANBgkqhkiG9w0BAQEFAASC' });
    expect(noPem.status).toBe(422);
    expect(noPem.body.errors).toEqual([{ path: '/auth/privateKey', message: expect.stringContaining('must be a PEM private key') }]);
    // the PEM armour is right, its contents are not a key
    const lines = PEM.trim().split('\n');
    const cut = [lines[0], ...lines.slice(1, -1).slice(0, 5), lines.at(-1)].join('\n');
    const garbled = await create('bad-der', { keyFile: keyFile(cut) });
    expect(garbled.status).toBe(422);
    expect(garbled.body.errors).toEqual([{ path: '/auth/privateKey', message: expect.stringContaining('does not parse as a PEM private key') }]);
    expect(JSON.stringify(garbled.body)).not.toContain(lines[3]);
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const notRsa = await create('bad-ec', { clientEmail: EMAIL, privateKey: ec });
    expect(notRsa.status).toBe(422);
    expect(notRsa.body.errors).toEqual([{ path: '/auth/privateKey', message: expect.stringContaining('is a ec key; a service account signs with an RSA key') }]);
    const noEmail = await create('bad-email', { clientEmail: 'robot', privateKey: PEM });
    expect(noEmail.body.errors).toEqual([{ path: '/auth/clientEmail', message: expect.stringContaining('service account') }]);
    const otherApp = await create('bad-app', { keyFile: keyFile() }, 'slack');
    expect(otherApp.status).toBe(422);
    expect(otherApp.body.errors).toEqual([{ path: '/auth/type', message: expect.stringContaining('Slack connections take') }]);
    const ids = ((await rt.get('/api/connections')).body as { id: string }[]).map((c) => c.id);
    expect(ids.filter((id) => id.startsWith('bad-'))).toEqual([]);
  });

  it('a key Google does not know for the account: the step fails with Google\'s words, the connection is broken, one alert, Sheets hears nothing', async () => {
    const stranger = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    expect((await create('sheets-wrong-key', { keyFile: keyFile(stranger) })).status).toBe(201);
    expect((await rt.put('/api/flows/sa-wrong', flow('sa-wrong', 'sheets-wrong-key'))).status).toBe(200);
    const run = await append('sa-wrong', { email: 'ed@example.com', name: 'Ed' });
    expect(run.status).toBe('dead');
    expect(run.error).toContain('connection "sheets-wrong-key" is broken');
    expect(run.error).toContain(`requesting a token for service account ${EMAIL}: the provider answered 400 invalid_grant: Invalid JWT Signature.`);
    expect(google.requests).toHaveLength(1);
    expect(sheets.requests).toHaveLength(0);
    expect((await rt.get('/api/connections/sheets-wrong-key')).body).toMatchObject({ status: 'broken', brokenReason: expect.stringContaining('Invalid JWT Signature.') });
    // a second run fails at once: no token request, no second alert
    expect((await append('sa-wrong', { email: 'fi@example.com', name: 'Fi' })).status).toBe('dead');
    expect(google.requests).toHaveLength(1);
    const alerts = ((await rt.get('/api/alerts')).body as { kind: string; message: string }[]).filter((a) => a.kind === 'connection_broken' && a.message.includes('sheets-wrong-key'));
    expect(alerts).toHaveLength(1);
  });
});
