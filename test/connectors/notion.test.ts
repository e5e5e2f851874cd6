// notion.createPage against a loopback Notion API that answers as Notion documents: the request field by
// field (Bearer secret, Notion-Version, a database parent, the title column), rate_limited with
// Retry-After retried after it, object_not_found and validation_error final with Notion's message.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startTestRuntime, type TestRuntime } from '../support/runtime.ts';
import { startFakeNotion, type FakeNotion } from '../support/fakes/notion.ts';

const T0 = Date.parse('2026-03-02T09:00:00.000Z');
const SECRET = 'ntn_1234567890abcdefghijklmnopqrstuvwxyzABCDEFG';
const DB = '0f1e2d3c4b5a69788796a5b4c3d2e1f0';
const DB_DASHED = '0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0';

let rt: TestRuntime;
let notion: FakeNotion;

const flow = (id: string, params: Record<string, unknown>) => ({
  dsl: 1,
  id,
  name: id,
  severity: 'P2',
  sop: ['Add the row in Notion by hand'],
  trigger: { type: 'webhook', path: id, auth: { type: 'none' } },
  nodes: [{ id: 'row', type: 'action', action: 'notion.createPage', params: { connection: 'notion', databaseId: DB, ...params } }, { id: 'end', type: 'end' }],
  edges: [{ from: 'trigger', to: 'row' }, { from: 'row', to: 'end' }],
});
async function walk(ms: number, stepMs = 1000) {
  for (let t = 0; t < ms; t += stepMs) await rt.advance(stepMs);
}
const run = async (id: string) => (await rt.get(`/api/runs/${id}`)).body;

beforeAll(async () => {
  rt = await startTestRuntime();
  notion = await startFakeNotion(rt.clock);
  notion.tokens.add(SECRET);
  notion.databases.set(DB_DASHED, { columns: { Client: 'title', Email: 'email', Stage: 'select' }, rows: [] });
  expect((await rt.post('/api/connections', { id: 'notion', app: 'notion', name: 'Acme Notion', auth: { type: 'bearer', token: SECRET }, baseUrl: notion.url })).status).toBe(201);
  expect((await rt.put('/api/flows/clients', flow('clients', { title: '{{payload.name}}', titleProperty: 'Client', properties: { Email: { email: '{{payload.email}}' }, Stage: { select: { name: 'Lead' } } } }))).status).toBe(200);
});
afterAll(async () => {
  await notion.close();
  await rt.dispose();
});
beforeEach(() => {
  notion.requests.length = 0;
  notion.script([]);
  rt.clock.set(new Date(T0).toISOString());
});

describe('notion.createPage', () => {
  it('POSTs /v1/pages with the secret, Notion-Version and the row field by field; the output is the page', async () => {
    const { body } = await rt.post('/hooks/clients', { name: 'Lovelace Labs', email: 'ada@example.com' });
    await rt.settle();
    const r = await run(body.runId);
    expect(r.status).toBe('succeeded');
    const q = notion.requests[0]!;
    expect(q.method).toBe('POST');
    expect(q.path).toBe('/v1/pages');
    expect(q.headers.authorization).toBe(`Bearer ${SECRET}`);
    expect(q.headers['notion-version']).toBe('2022-06-28');
    expect(q.body).toEqual({
      parent: { database_id: DB },
      properties: { Email: { email: 'ada@example.com' }, Stage: { select: { name: 'Lead' } }, Client: { title: [{ type: 'text', text: { content: 'Lovelace Labs' } }] } },
    });
    expect(r.steps[0].output).toEqual({ id: expect.stringMatching(/^[0-9a-f-]{36}$/), url: expect.stringMatching(/^https:\/\/www\.notion\.so\/[0-9a-f]{32}$/) });
    expect(notion.databases.get(DB_DASHED)!.rows).toHaveLength(1);
    expect(JSON.stringify(r)).not.toContain(SECRET);
  });

  it("rate_limited (429, Retry-After: 2) then 503: retried after 2 s and on the schedule's second delay (+2 m): three calls, one row", async () => {
    const rows = notion.databases.get(DB_DASHED)!.rows.length;
    notion.script([
      { status: 429, headers: { 'retry-after': '2' }, body: { object: 'error', status: 429, code: 'rate_limited', message: 'You have been rate limited. Please try again in a few minutes.' } },
      { status: 503, body: { object: 'error', status: 503, code: 'service_unavailable', message: 'Notion is unavailable. This can occur when the time to respond to a request takes longer than 60 seconds.' } },
    ]);
    const { body } = await rt.post('/hooks/clients', { name: 'Bo & Co', email: 'bo@example.com' });
    await rt.settle();
    await walk(130_000, 2000);
    expect(notion.requests.map((q) => (q.at - T0) / 1000)).toEqual([0, 2, 122]);
    const r = await run(body.runId);
    expect(r.status).toBe('succeeded');
    expect(r.steps[0].attempts.map((a: { errorClass?: string }) => a.errorClass ?? 'ok')).toEqual(['429', '5xx', 'ok']);
    expect(r.steps[0].attempts[0].error).toContain('rate_limited: You have been rate limited');
    expect(notion.databases.get(DB_DASHED)!.rows.length).toBe(rows + 1);
  });

  it('a database not shared with the integration is 404 object_not_found: final, one call, with Notion\'s hint', async () => {
    const f = flow('other-db', { databaseId: 'aaaaaaaabbbbccccddddeeeeeeeeeeee', title: 'x' });
    expect((await rt.put('/api/flows/other-db', f)).status).toBe(200);
    const { body } = await rt.post('/hooks/other-db', {});
    await rt.settle();
    await walk(15 * 60_000, 60_000);
    expect(notion.requests).toHaveLength(1);
    const r = await run(body.runId);
    expect(r.status).toBe('dead');
    expect(r.error).toContain('object_not_found: Could not find database with ID: aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee. Make sure the relevant pages and databases are shared with your integration.');
  });

  it("a column the database does not have is Notion's 400 validation_error: final", async () => {
    const f = flow('bad-column', { title: 'x', titleProperty: 'Client', properties: { Phone: { phone_number: '+1' } } });
    expect((await rt.put('/api/flows/bad-column', f)).status).toBe(200);
    const { body } = await rt.post('/hooks/bad-column', {});
    await rt.settle();
    await walk(15 * 60_000, 60_000);
    expect(notion.requests).toHaveLength(1);
    expect((await run(body.runId)).error).toContain('validation_error: Phone is not a property that exists.');
  });

  it('the connection test reads /v1/users/me; a refused secret fails it with Notion\'s words', async () => {
    expect((await rt.post('/api/connections/notion/test', {})).body).toMatchObject({ ok: true, message: 'authenticated as Flowdesk' });
    expect(notion.requests[0]).toMatchObject({ method: 'GET', path: '/v1/users/me' });
    expect(notion.requests[0]!.headers['notion-version']).toBe('2022-06-28');
    notion.tokens.delete(SECRET);
    try {
      const bad = (await rt.post('/api/connections/notion/test', {})).body;
      expect(bad.ok).toBe(false);
      expect(bad.error).toContain('unauthorized: API token is invalid.');
    } finally {
      notion.tokens.add(SECRET);
    }
  });
});
