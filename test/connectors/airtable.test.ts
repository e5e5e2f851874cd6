// airtable.createRecord and airtable.updateRecord against a loopback Airtable that answers as Airtable
// documents: both requests field by field, Airtable's 429 waited out for its documented 30 s, unknown
// fields (422) and records (404) final with Airtable's words.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startTestRuntime, type TestRuntime } from '../support/runtime.ts';
import { startFakeAirtable, type FakeAirtable } from '../support/fakes/airtable.ts';

const T0 = Date.parse('2026-03-02T09:00:00.000Z');
const TOKEN = 'patAbCdEfGhIjKlMn.0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef';
const BASE = 'appA1b2C3d4E5f6G7';

let rt: TestRuntime;
let at: FakeAirtable;

const flow = {
  dsl: 1,
  id: 'clients',
  name: 'clients',
  severity: 'P2',
  sop: ['Add the client in Airtable by hand'],
  trigger: { type: 'webhook', path: 'clients', auth: { type: 'none' } },
  nodes: [
    { id: 'record', type: 'action', action: 'airtable.createRecord', params: { connection: 'airtable', baseId: BASE, table: 'Clients', fields: { Name: '{{payload.name}}', Email: '{{payload.email}}', Seats: 3 } } },
    { id: 'activate', type: 'action', action: 'airtable.updateRecord', params: { connection: 'airtable', baseId: BASE, table: 'Clients', recordId: '{{steps.record.output.id}}', fields: { Status: 'Active' }, typecast: true } },
    { id: 'end', type: 'end' },
  ],
  edges: [
    { from: 'trigger', to: 'record' },
    { from: 'record', to: 'activate' },
    { from: 'activate', to: 'end' },
  ],
};
async function walk(ms: number, stepMs = 5000) {
  for (let t = 0; t < ms; t += stepMs) await rt.advance(stepMs);
}
const run = async (id: string) => (await rt.get(`/api/runs/${id}`)).body;

beforeAll(async () => {
  rt = await startTestRuntime();
  at = await startFakeAirtable(rt.clock);
  at.tokens.add(TOKEN);
  at.tables.set(`${BASE}/Clients`, { fields: new Set(['Name', 'Email', 'Seats', 'Status']), records: new Map() });
  expect((await rt.post('/api/connections', { id: 'airtable', app: 'airtable', name: 'Acme Airtable', auth: { type: 'bearer', token: TOKEN }, baseUrl: at.url })).status).toBe(201);
  expect((await rt.put('/api/flows/clients', flow)).status).toBe(200);
});
afterAll(async () => {
  await at.close();
  await rt.dispose();
});
beforeEach(() => {
  at.requests.length = 0;
  at.script([]);
  at.rateLimit(0);
  rt.clock.set(new Date(T0).toISOString());
});

describe('airtable.createRecord and airtable.updateRecord', () => {
  it('creates the record and patches it: both requests field by field, typed outputs', async () => {
    const { body } = await rt.post('/hooks/clients', { name: 'Ada', email: 'ada@example.com' });
    await rt.settle();
    const r = await run(body.runId);
    expect(r.status).toBe('succeeded');
    const [create, patch] = at.requests;
    expect(create).toMatchObject({ method: 'POST', path: `/v0/${BASE}/Clients`, body: { fields: { Name: 'Ada', Email: 'ada@example.com', Seats: 3 }, typecast: false } });
    const id = r.steps[0].output.id as string;
    expect(r.steps[0].output).toEqual({ id, createdTime: new Date(T0).toISOString() });
    expect(patch).toMatchObject({ method: 'PATCH', path: `/v0/${BASE}/Clients/${id}`, body: { fields: { Status: 'Active' }, typecast: true } });
    for (const q of [create!, patch!]) {
      expect(q.headers.authorization).toBe(`Bearer ${TOKEN}`);
      expect(q.headers['content-type']).toBe('application/json; charset=utf-8');
    }
    expect(at.tables.get(`${BASE}/Clients`)!.records.get(id)).toEqual({ Name: 'Ada', Email: 'ada@example.com', Seats: 3, Status: 'Active' });
    expect(r.steps[1].output).toEqual({ id });
    expect(JSON.stringify(r)).not.toContain(TOKEN);
  });

  it('429 RATE_LIMIT_REACHED is waited out for Airtable\'s 30 s, twice, then created once', async () => {
    const before = at.tables.get(`${BASE}/Clients`)!.records.size;
    at.rateLimit(2);
    const { body } = await rt.post('/hooks/clients', { name: 'Bo', email: 'bo@example.com' });
    await rt.settle();
    expect((await run(body.runId)).wakeAt).toBe(new Date(T0 + 30_000).toISOString());
    await walk(70_000);
    expect(at.requests.filter((q) => q.method === 'POST').map((q) => (q.at - T0) / 1000)).toEqual([0, 30, 60]);
    const r = await run(body.runId);
    expect(r.status).toBe('succeeded');
    expect(r.steps[0].attempts.map((a: { errorClass?: string }) => a.errorClass ?? 'ok')).toEqual(['429', '429', 'ok']);
    expect(r.steps[0].attempts[0].error).toContain('RATE_LIMIT_REACHED: Rate limit exceeded. Please try again later');
    expect(at.tables.get(`${BASE}/Clients`)!.records.size).toBe(before + 1);
  });

  it('an unknown field is 422 UNKNOWN_FIELD_NAME: final, one call, Airtable\'s message in the dead letter', async () => {
    const f = { ...flow, id: 'typo', trigger: { ...flow.trigger, path: 'typo' }, nodes: [{ ...flow.nodes[0]!, params: { ...flow.nodes[0]!.params, fields: { Nmae: 'x' } } }, flow.nodes[2]!], edges: [{ from: 'trigger', to: 'record' }, { from: 'record', to: 'end' }] };
    expect((await rt.put('/api/flows/typo', f)).status).toBe(200);
    const { body } = await rt.post('/hooks/typo', {});
    await rt.settle();
    await walk(15 * 60_000, 60_000);
    expect(at.requests).toHaveLength(1);
    const r = await run(body.runId);
    expect(r.status).toBe('dead');
    expect(r.error).toContain('UNKNOWN_FIELD_NAME: Unknown field name: "Nmae"');
  });

  it('a dropped connection is retried on schedule (+30 s), one record; a record that is gone (404 NOT_FOUND) is final', async () => {
    at.script(['reset']);
    const { body } = await rt.post('/hooks/clients', { name: 'Cy', email: 'cy@example.com' });
    await rt.settle();
    await walk(60_000);
    const r = await run(body.runId);
    expect(r.status).toBe('succeeded');
    expect(r.steps[0].attempts.map((a: { errorClass?: string }) => a.errorClass ?? 'ok')).toEqual(['network', 'ok']);

    const gone = { ...flow, id: 'gone', trigger: { ...flow.trigger, path: 'gone' }, nodes: [{ ...flow.nodes[1]!, params: { ...flow.nodes[1]!.params, recordId: 'rec99999999999999' } }, flow.nodes[2]!], edges: [{ from: 'trigger', to: 'activate' }, { from: 'activate', to: 'end' }] };
    expect((await rt.put('/api/flows/gone', gone)).status).toBe(200);
    at.requests.length = 0;
    const g = await rt.post('/hooks/gone', {});
    await rt.settle();
    await walk(15 * 60_000, 60_000);
    expect(at.requests).toHaveLength(1);
    expect((await run(g.body.runId)).error).toContain('NOT_FOUND');
  });

  it('the connection test calls /v0/meta/whoami', async () => {
    expect((await rt.post('/api/connections/airtable/test', {})).body).toMatchObject({ ok: true, message: 'authenticated as usrFakeFounder001' });
    expect(at.requests[0]).toMatchObject({ method: 'GET', path: '/v0/meta/whoami' });
  });
});
