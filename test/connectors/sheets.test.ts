// sheets.appendRow and sheets.updateRow against a loopback Google Sheets API, with a Google-style OAuth2
// connection connected through the callback on a real OAuth2 server on loopback (oauth2-mock-server):
// the request shape field by field, Google's 429 quota retried on the step's schedule (the fake
// counting every call), 401 refreshed once, and final errors (403, 404, a bad range) dead-lettered with
// Google's own message.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { OAuth2Server } from 'oauth2-mock-server';
import { startTestRuntime, type TestRuntime } from '../support/runtime.ts';
import { startFakeSheets, type FakeSheets } from '../support/fakes/sheets.ts';

const T0 = Date.parse('2026-03-02T09:00:00.000Z');
const BOOK = '1AbCdEfGhIjKlMnOpQrStUvWxYz0123456789';

let rt: TestRuntime;
let sheets: FakeSheets;
let idp: OAuth2Server;
const issued: string[] = [];

const flow = (id: string, node: Record<string, unknown>) => ({
  dsl: 1,
  id,
  name: id,
  severity: 'P2',
  sop: ['Add the row to the sheet by hand'],
  trigger: { type: 'webhook', path: id, auth: { type: 'none' } },
  nodes: [{ id: 'row', type: 'action', ...node }, { id: 'end', type: 'end' }],
  edges: [{ from: 'trigger', to: 'row' }, { from: 'row', to: 'end' }],
});

async function walk(ms: number, stepMs = 5000) {
  for (let t = 0; t < ms; t += stepMs) await rt.advance(stepMs);
}
const run = async (id: string) => (await rt.get(`/api/runs/${id}`)).body;

beforeAll(async () => {
  idp = new OAuth2Server();
  await idp.issuer.keys.generate('RS256');
  await idp.start(0, '127.0.0.1');
  rt = await startTestRuntime();
  sheets = await startFakeSheets(rt.clock);
  sheets.books.set(BOOK, new Map([['Clients', [['email', 'name', 'plan']]], ['Private sheet', []]]));
  idp.service.on('beforeResponse', (resp: { statusCode: number; body: Record<string, unknown> }) => {
    if (resp.statusCode === 200 && typeof resp.body.access_token === 'string') {
      issued.push(resp.body.access_token);
      sheets.tokens.add(resp.body.access_token);
    }
  });
  const issuer = idp.issuer.url!;
  const conn = {
    id: 'sheets',
    app: 'sheets',
    name: 'Acme Google',
    baseUrl: sheets.url,
    auth: { type: 'oauth2', grant: 'authorization_code', clientId: 'acme.apps.googleusercontent.com', clientSecret: 'GOCSPX-secret', authorizeUrl: `${issuer}/authorize?access_type=offline&prompt=consent`, tokenUrl: `${issuer}/token` },
  };
  expect((await rt.post('/api/connections', conn)).status).toBe(201);
  // the app's scope is filled in
  expect((await rt.get('/api/connections/sheets')).body.auth.scopes).toEqual(['https://www.googleapis.com/auth/spreadsheets']);
  // Connect, as the browser does it
  const res = await fetch(`${rt.url}/api/connections/sheets/connect`, { method: 'POST' });
  const { authorizeUrl } = (await res.json()) as { authorizeUrl: string };
  expect(new URL(authorizeUrl).searchParams.get('access_type')).toBe('offline');
  expect(new URL(authorizeUrl).searchParams.get('prompt')).toBe('consent');
  const at = await fetch(authorizeUrl, { redirect: 'manual' });
  const done = await fetch(at.headers.get('location')!, { headers: { cookie: res.headers.get('set-cookie')!.split(';')[0]! }, redirect: 'manual' });
  expect(done.status).toBe(200);
  expect(issued).toHaveLength(1);

  const append = { action: 'sheets.appendRow', params: { connection: 'sheets', spreadsheetId: BOOK, range: 'Clients', values: ['{{payload.email}}', '{{payload.name}}', 'pro'] } };
  expect((await rt.put('/api/flows/append', flow('append', append))).status).toBe(200);
  const update = { action: 'sheets.updateRow', params: { connection: 'sheets', spreadsheetId: BOOK, range: 'Clients!B2:C2', values: ['{{payload.name}}', null], valueInputOption: 'RAW' } };
  expect((await rt.put('/api/flows/update', flow('update', update))).status).toBe(200);
});
afterAll(async () => {
  await rt.dispose();
  await sheets.close();
  await idp.stop();
});
beforeEach(() => {
  sheets.requests.length = 0;
  sheets.script([]);
  rt.clock.set(new Date(T0).toISOString());
});

describe('sheets.appendRow', () => {
  it('POSTs values:append with the access token: path, query and body field by field; the output says where the row went', async () => {
    const { body } = await rt.post('/hooks/append', { email: 'ada@example.com', name: 'Ada' });
    await rt.settle();
    const r = await run(body.runId);
    expect(r.status).toBe('succeeded');
    expect(sheets.requests).toHaveLength(1);
    const q = sheets.requests[0]!;
    expect(q.method).toBe('POST');
    expect(q.path).toBe(`/v4/spreadsheets/${BOOK}/values/Clients:append`);
    expect(q.query).toEqual({ valueInputOption: 'USER_ENTERED', insertDataOption: 'INSERT_ROWS' });
    expect(q.headers.authorization).toBe(`Bearer ${issued.at(-1)}`);
    expect(q.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(q.body).toEqual({ range: 'Clients', majorDimension: 'ROWS', values: [['ada@example.com', 'Ada', 'pro']] });
    expect(r.steps[0].output).toEqual({ spreadsheetId: BOOK, updatedRange: 'Clients!A2:C2', updatedRows: 1 });
    expect(sheets.books.get(BOOK)!.get('Clients')!.at(-1)).toEqual(['ada@example.com', 'Ada', 'pro']);
    expect(JSON.stringify(r)).not.toContain(issued.at(-1)!);
  });

  it("Google's 429 RESOURCE_EXHAUSTED then 503: retried at +30 s and +2 m 30 s, three calls, one row", async () => {
    const rows = sheets.books.get(BOOK)!.get('Clients')!.length;
    sheets.script([
      { status: 429, body: { error: { code: 429, message: "Quota exceeded for quota metric 'Write requests' and limit 'Write requests per minute per user' of service 'sheets.googleapis.com'.", status: 'RESOURCE_EXHAUSTED' } } },
      { status: 503, body: { error: { code: 503, message: 'The service is currently unavailable.', status: 'UNAVAILABLE' } } },
    ]);
    const { body } = await rt.post('/hooks/append', { email: 'bo@example.com', name: 'Bo' });
    await rt.settle();
    await walk(3 * 60_000);
    expect(sheets.requests.map((q) => (q.at - T0) / 1000)).toEqual([0, 30, 150]);
    const r = await run(body.runId);
    expect(r.status).toBe('succeeded');
    expect(r.steps[0].attempts.map((a: { errorClass?: string }) => a.errorClass ?? 'ok')).toEqual(['429', '5xx', 'ok']);
    expect(r.steps[0].attempts[0].error).toContain('RESOURCE_EXHAUSTED: Quota exceeded');
    expect(sheets.books.get(BOOK)!.get('Clients')!.length).toBe(rows + 1);
  });

  it('a sheet not shared with the account (403 PERMISSION_DENIED) is final: one call, dead-lettered with Google\'s message', async () => {
    sheets.unshared.add(BOOK);
    try {
      const { body } = await rt.post('/hooks/append', { email: 'cy@example.com', name: 'Cy' });
      await rt.settle();
      await walk(15 * 60_000, 60_000);
      expect(sheets.requests).toHaveLength(1);
      const r = await run(body.runId);
      expect(r.status).toBe('dead');
      expect(r.error).toContain('PERMISSION_DENIED: The caller does not have permission');
    } finally {
      sheets.unshared.delete(BOOK);
    }
  });

  it('a revoked access token (401) is refreshed once and the call made again', async () => {
    const before = issued.length;
    sheets.tokens.delete(issued.at(-1)!);
    const { body } = await rt.post('/hooks/append', { email: 'di@example.com', name: 'Di' });
    await rt.settle();
    const r = await run(body.runId);
    expect(r.status).toBe('succeeded');
    expect(issued).toHaveLength(before + 1);
    expect(sheets.requests.map((q) => q.headers.authorization)).toEqual([`Bearer ${issued[before - 1]}`, `Bearer ${issued[before]}`]);
  });
});

describe('sheets.updateRow', () => {
  it('PUTs the cells at the range (RAW), null leaving a cell as it is', async () => {
    const book = sheets.books.get(BOOK)!.get('Clients')!;
    book[1] = ['ada@example.com', 'Ada', 'pro'];
    const { body } = await rt.post('/hooks/update', { name: 'Ada Lovelace' });
    await rt.settle();
    const r = await run(body.runId);
    expect(r.status).toBe('succeeded');
    const q = sheets.requests[0]!;
    expect(q.method).toBe('PUT');
    expect(q.path).toBe(`/v4/spreadsheets/${BOOK}/values/Clients!B2%3AC2`);
    expect(q.query).toEqual({ valueInputOption: 'RAW' });
    expect(q.body).toEqual({ range: 'Clients!B2:C2', majorDimension: 'ROWS', values: [['Ada Lovelace', null]] });
    expect(book[1]).toEqual(['ada@example.com', 'Ada Lovelace', 'pro']);
    expect(r.steps[0].output).toEqual({ spreadsheetId: BOOK, updatedRange: 'Clients!B2:C2', updatedCells: 2 });
  });

  it('a range Google cannot parse is a final 400 INVALID_ARGUMENT with its message', async () => {
    const f = flow('update-bad', { action: 'sheets.updateRow', params: { connection: 'sheets', spreadsheetId: BOOK, range: 'Nope!A1', values: ['x'] } });
    expect((await rt.put('/api/flows/update-bad', f)).status).toBe(200);
    const { body } = await rt.post('/hooks/update-bad', {});
    await rt.settle();
    await walk(15 * 60_000, 60_000);
    expect(sheets.requests).toHaveLength(1);
    const r = await run(body.runId);
    expect(r.status).toBe('dead');
    expect(r.error).toContain('INVALID_ARGUMENT: Unable to parse range: Nope!A1');
  });
});

describe('the sheets connection', () => {
  it('tests with a read Google answers 404 only to a valid token; a refused token fails the test', async () => {
    const ok = await rt.post('/api/connections/sheets/test', {});
    expect(ok.body).toMatchObject({ ok: true, message: 'Google accepted the token' });
    expect(sheets.requests[0]).toMatchObject({ method: 'GET', path: '/v4/spreadsheets/flowdesk-connection-test', query: { fields: 'spreadsheetId' } });
    sheets.script([
      { status: 401, body: { error: { code: 401, message: 'Request had invalid authentication credentials.', status: 'UNAUTHENTICATED' } } },
      { status: 401, body: { error: { code: 401, message: 'Request had invalid authentication credentials.', status: 'UNAUTHENTICATED' } } },
    ]);
    const bad = await rt.post('/api/connections/sheets/test', {});
    expect(bad.body.ok).toBe(false);
    expect(bad.body.error).toContain('UNAUTHENTICATED');
  });
});
