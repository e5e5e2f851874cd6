// hubspot.upsertContact and hubspot.createDeal against a loopback HubSpot CRM API that answers as
// HubSpot documents: the request shape field by field, upsert by e-mail (twice → one contact), the
// 10-second burst limit (429 with X-HubSpot-RateLimit-* headers) retried after its interval, the daily
// limit and validation errors final with HubSpot's message.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startTestRuntime, type TestRuntime } from '../support/runtime.ts';
import { RATE_HEADERS, startFakeHubSpot, type FakeHubSpot } from '../support/fakes/hubspot.ts';

const T0 = Date.parse('2026-03-02T09:00:00.000Z');
const TOKEN = 'pat-na1-11111111-2222-3333-4444-555555555555';

let rt: TestRuntime;
let hs: FakeHubSpot;

const flow = {
  dsl: 1,
  id: 'crm',
  name: 'crm',
  severity: 'P2',
  sop: ['Add the lead to HubSpot by hand'],
  trigger: { type: 'webhook', path: 'crm', auth: { type: 'none' } },
  nodes: [
    { id: 'contact', type: 'action', action: 'hubspot.upsertContact', params: { connection: 'hubspot', email: '{{payload.email}}', properties: { firstname: '{{payload.name}}', company: '{{payload.company}}', lifecyclestage: 'lead' } } },
    { id: 'deal', type: 'action', action: 'hubspot.createDeal', params: { connection: 'hubspot', name: '{{payload.company}} — website', amount: 4800, closeDate: '2026-04-01', contactId: '{{steps.contact.output.id}}' } },
    { id: 'end', type: 'end' },
  ],
  edges: [
    { from: 'trigger', to: 'contact' },
    { from: 'contact', to: 'deal' },
    { from: 'deal', to: 'end' },
  ],
};

async function walk(ms: number, stepMs = 5000) {
  for (let t = 0; t < ms; t += stepMs) await rt.advance(stepMs);
}
const run = async (id: string) => (await rt.get(`/api/runs/${id}`)).body;

beforeAll(async () => {
  rt = await startTestRuntime();
  hs = await startFakeHubSpot(rt.clock);
  hs.tokens.add(TOKEN);
  expect((await rt.post('/api/connections', { id: 'hubspot', app: 'hubspot', name: 'Acme HubSpot', auth: { type: 'bearer', token: TOKEN }, baseUrl: hs.url })).status).toBe(201);
  expect((await rt.put('/api/flows/crm', flow)).status).toBe(200);
});
afterAll(async () => {
  await hs.close();
  await rt.dispose();
});
beforeEach(() => {
  hs.requests.length = 0;
  hs.script([]);
  hs.burst(0);
  rt.clock.set(new Date(T0).toISOString());
});

describe('hubspot.upsertContact and hubspot.createDeal', () => {
  it('upserts the contact by e-mail and creates the deal associated with it: both requests field by field', async () => {
    const { body } = await rt.post('/hooks/crm', { email: 'Ada@Example.com', name: 'Ada', company: 'Lovelace Labs' });
    await rt.settle();
    const r = await run(body.runId);
    expect(r.status).toBe('succeeded');
    expect(hs.requests.map((q) => `${q.method} ${q.path}`)).toEqual(['POST /crm/v3/objects/contacts/batch/upsert', 'POST /crm/v3/objects/deals']);
    for (const q of hs.requests) {
      expect(q.headers.authorization).toBe(`Bearer ${TOKEN}`);
      expect(q.headers['content-type']).toBe('application/json; charset=utf-8');
    }
    expect(hs.requests[0]!.body).toEqual({ inputs: [{ idProperty: 'email', id: 'Ada@Example.com', properties: { firstname: 'Ada', company: 'Lovelace Labs', lifecyclestage: 'lead', email: 'Ada@Example.com' } }] });
    const contactId = r.steps[0].output.id as string;
    expect(r.steps[0].output).toEqual({ id: contactId, created: true });
    expect(hs.requests[1]!.body).toEqual({
      properties: { dealname: 'Lovelace Labs — website', pipeline: 'default', dealstage: 'appointmentscheduled', amount: '4800', closedate: '2026-04-01' },
      associations: [{ to: { id: contactId }, types: [{ associationCategory: 'HUBSPOT_DEFINED', associationTypeId: 3 }] }],
    });
    const dealId = r.steps[1].output.id as string;
    expect(r.steps[1].output).toEqual({ id: dealId });
    expect(hs.deals.get(dealId)).toMatchObject({ contactIds: [contactId], properties: { dealname: 'Lovelace Labs — website' } });
    expect(JSON.stringify(r)).not.toContain(TOKEN);
  });

  it('the same e-mail again updates the one contact (created: false)', async () => {
    const before = hs.contacts.size;
    const { body } = await rt.post('/hooks/crm', { email: 'ada@example.com', name: 'Ada L.', company: 'Lovelace Labs' });
    await rt.settle();
    const r = await run(body.runId);
    expect(r.steps[0].output.created).toBe(false);
    expect(hs.contacts.size).toBe(before);
    expect(hs.contacts.get('ada@example.com')!.properties.firstname).toBe('Ada L.');
  });

  it('the 10-second burst limit (429 RATE_LIMIT with X-HubSpot-RateLimit-Interval-Milliseconds: 10000) is retried after the interval, twice: three calls', async () => {
    hs.burst(2);
    const { body } = await rt.post('/hooks/crm', { email: 'bo@example.com', name: 'Bo', company: 'Bo & Co' });
    await rt.settle();
    let r = await run(body.runId);
    expect(r.status).toBe('waiting');
    expect(r.wakeAt).toBe(new Date(T0 + 10_000).toISOString());
    await walk(30_000);
    const upserts = hs.requests.filter((q) => q.path.endsWith('/batch/upsert'));
    expect(upserts.map((q) => (q.at - T0) / 1000)).toEqual([0, 10, 20]);
    r = await run(body.runId);
    expect(r.status).toBe('succeeded');
    expect(r.steps[0].attempts.map((a: { errorClass?: string }) => a.errorClass ?? 'ok')).toEqual(['429', '429', 'ok']);
    expect(r.steps[0].attempts[0].error).toContain('RATE_LIMIT/TEN_SECONDLY_ROLLING: You have reached your ten_secondly_rolling limit.');
  });

  it('the daily limit (429, policyName DAILY) is final: one call, dead-lettered saying so', async () => {
    hs.script([{ status: 429, headers: { ...RATE_HEADERS, 'x-hubspot-ratelimit-daily-remaining': '0' }, body: { status: 'error', message: 'You have reached your daily limit.', errorType: 'RATE_LIMIT', correlationId: 'c-1', policyName: 'DAILY' } }]);
    const { body } = await rt.post('/hooks/crm', { email: 'cy@example.com', name: 'Cy', company: 'Cy Inc' });
    await rt.settle();
    await walk(15 * 60_000, 60_000);
    expect(hs.requests).toHaveLength(1);
    const r = await run(body.runId);
    expect(r.status).toBe('dead');
    expect(r.error).toContain('RATE_LIMIT/DAILY: You have reached your daily limit.');
    expect(r.error).toContain('resets at midnight');
  });

  it("an invalid e-mail is HubSpot's 400 VALIDATION_ERROR: final, with HubSpot's message", async () => {
    const { body } = await rt.post('/hooks/crm', { email: 'not-an-email', name: 'X', company: 'X' });
    await rt.settle();
    await walk(15 * 60_000, 60_000);
    expect(hs.requests).toHaveLength(1);
    const r = await run(body.runId);
    expect(r.status).toBe('dead');
    expect(r.error).toContain('VALIDATION_ERROR: Property values were not valid');
    expect(r.error).toContain('INVALID_EMAIL');
  });

  it('a 502 and a dropped connection are retried on the step schedule (+30 s, +2 m 30 s)', async () => {
    hs.script([{ status: 502, body: { status: 'error', message: 'Bad Gateway', category: 'UNKNOWN' } }, 'reset']);
    const { body } = await rt.post('/hooks/crm', { email: 'dee@example.com', name: 'Dee', company: 'Dee Co' });
    await rt.settle();
    await walk(3 * 60_000);
    expect(hs.requests.filter((q) => q.path.endsWith('/batch/upsert')).map((q) => (q.at - T0) / 1000)).toEqual([0, 30, 150]);
    const r = await run(body.runId);
    expect(r.status).toBe('succeeded');
    expect(r.steps[0].attempts.map((a: { errorClass?: string }) => a.errorClass ?? 'ok')).toEqual(['5xx', 'network', 'ok']);
  });

  it('a revoked token (401 INVALID_AUTHENTICATION) is final; the connection test says so', async () => {
    hs.tokens.delete(TOKEN);
    try {
      const test = await rt.post('/api/connections/hubspot/test', {});
      expect(test.body.ok).toBe(false);
      expect(test.body.error).toContain('INVALID_AUTHENTICATION: Authentication credentials not found');
      hs.requests.length = 0;
      const { body } = await rt.post('/hooks/crm', { email: 'eve@example.com', name: 'Eve', company: 'Eve Co' });
      await rt.settle();
      await walk(15 * 60_000, 60_000);
      expect(hs.requests).toHaveLength(1);
      expect((await run(body.runId)).status).toBe('dead');
    } finally {
      hs.tokens.add(TOKEN);
    }
    const ok = await rt.post('/api/connections/hubspot/test', {});
    expect(ok.body).toMatchObject({ ok: true, message: 'the token can read contacts' });
  });
});
