// twilio.sendSms against a loopback Twilio that answers as Twilio documents: Basic auth with the
// Account SID, the form field by field (From or MessagingServiceSid), 429 (20429) and 5xx retried on the
// step's schedule, 21211/21610 final with Twilio's code and message; an API-key connection needs the
// Account SID on the node.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startTestRuntime, type TestRuntime } from '../support/runtime.ts';
import { startFakeTwilio, type FakeTwilio } from '../support/fakes/twilio.ts';

const T0 = Date.parse('2026-03-02T09:00:00.000Z');
const SID = 'AC0123456789abcdef0123456789abcdef';
const AUTH_TOKEN = 'f00dfacef00dfacef00dfacef00dface';
const KEY_SID = 'SK0123456789abcdef0123456789abcdef';
const KEY_SECRET = 'keysecretkeysecretkeysecret12345';

let rt: TestRuntime;
let tw: FakeTwilio;

const flow = (id: string, connection: string, extra: Record<string, unknown> = {}) => ({
  dsl: 1,
  id,
  name: id,
  severity: 'P2',
  sop: ['Text the client by hand'],
  trigger: { type: 'webhook', path: id, auth: { type: 'none' } },
  nodes: [{ id: 'sms', type: 'action', action: 'twilio.sendSms', params: { connection, to: '{{payload.phone}}', from: '+15005550006', body: 'Hi {{payload.name}}, thanks!', ...extra } }, { id: 'end', type: 'end' }],
  edges: [{ from: 'trigger', to: 'sms' }, { from: 'sms', to: 'end' }],
});
async function walk(ms: number, stepMs = 5000) {
  for (let t = 0; t < ms; t += stepMs) await rt.advance(stepMs);
}
const run = async (id: string) => (await rt.get(`/api/runs/${id}`)).body;

beforeAll(async () => {
  rt = await startTestRuntime();
  tw = await startFakeTwilio(rt.clock);
  tw.credentials.set(`${SID}:${AUTH_TOKEN}`, SID);
  tw.credentials.set(`${KEY_SID}:${KEY_SECRET}`, SID);
  tw.unsubscribed.add('+14155550199');
  expect((await rt.post('/api/connections', { id: 'twilio', app: 'twilio', name: 'Acme Twilio', auth: { type: 'basic', username: SID, password: AUTH_TOKEN }, baseUrl: tw.url })).status).toBe(201);
  expect((await rt.post('/api/connections', { id: 'twilio-key', app: 'twilio', name: 'Acme Twilio key', auth: { type: 'basic', username: KEY_SID, password: KEY_SECRET }, baseUrl: tw.url })).status).toBe(201);
  expect((await rt.put('/api/flows/sms', flow('sms', 'twilio'))).status).toBe(200);
  expect((await rt.put('/api/flows/sms-key', flow('sms-key', 'twilio-key', { accountSid: SID, from: 'MG0123456789abcdef0123456789abcdef' }))).status).toBe(200);
  expect((await rt.put('/api/flows/sms-key-nosid', flow('sms-key-nosid', 'twilio-key'))).status).toBe(200);
});
afterAll(async () => {
  await tw.close();
  await rt.dispose();
});
beforeEach(() => {
  tw.requests.length = 0;
  tw.script([]);
  rt.clock.set(new Date(T0).toISOString());
});

describe('twilio.sendSms', () => {
  it('POSTs Messages.json under the Account SID with Basic auth and the form field by field', async () => {
    const { body } = await rt.post('/hooks/sms', { phone: '+14155550123', name: 'Ada' });
    await rt.settle();
    const r = await run(body.runId);
    expect(r.status).toBe('succeeded');
    const q = tw.requests[0]!;
    expect(q.method).toBe('POST');
    expect(q.path).toBe(`/2010-04-01/Accounts/${SID}/Messages.json`);
    expect(q.headers.authorization).toBe(`Basic ${Buffer.from(`${SID}:${AUTH_TOKEN}`).toString('base64')}`);
    expect(q.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(q.form).toEqual({ To: '+14155550123', From: '+15005550006', Body: 'Hi Ada, thanks!' });
    expect(r.steps[0].output).toEqual({ sid: tw.sent.at(-1)!.sid, status: 'queued' });
    expect(JSON.stringify(r)).not.toContain(AUTH_TOKEN);
  });

  it('an API-key connection sends under the node\'s Account SID, with a Messaging Service; without one it fails clearly, sending nothing', async () => {
    const { body } = await rt.post('/hooks/sms-key', { phone: '+14155550123', name: 'Bo' });
    await rt.settle();
    expect((await run(body.runId)).status).toBe('succeeded');
    expect(tw.requests[0]!.path).toBe(`/2010-04-01/Accounts/${SID}/Messages.json`);
    expect(tw.requests[0]!.form).toEqual({ To: '+14155550123', MessagingServiceSid: 'MG0123456789abcdef0123456789abcdef', Body: 'Hi Bo, thanks!' });
    tw.requests.length = 0;
    const bad = await rt.post('/hooks/sms-key-nosid', { phone: '+14155550123', name: 'Bo' });
    await rt.settle();
    expect(tw.requests).toHaveLength(0);
    expect((await run(bad.body.runId)).error).toContain('is not an Account SID (AC…): set accountSid on the node');
  });

  it('429 (20429) then 503: retried at +30 s and +2 m 30 s, three calls, one message', async () => {
    const before = tw.sent.length;
    tw.script([
      { status: 429, body: { code: 20429, message: 'Too Many Requests', more_info: 'https://www.twilio.com/docs/errors/20429', status: 429 } },
      { status: 503, body: { code: 20503, message: 'Service Unavailable', more_info: 'https://www.twilio.com/docs/errors/20503', status: 503 } },
    ]);
    const { body } = await rt.post('/hooks/sms', { phone: '+14155550123', name: 'Cy' });
    await rt.settle();
    await walk(3 * 60_000);
    expect(tw.requests.map((q) => (q.at - T0) / 1000)).toEqual([0, 30, 150]);
    const r = await run(body.runId);
    expect(r.status).toBe('succeeded');
    expect(r.steps[0].attempts.map((a: { errorClass?: string }) => a.errorClass ?? 'ok')).toEqual(['429', '5xx', 'ok']);
    expect(r.steps[0].attempts[0].error).toContain('20429: Too Many Requests');
    expect(tw.sent.length).toBe(before + 1);
  });

  it('an unsubscribed recipient (21610) is final: one call, Twilio\'s code and message in the dead letter', async () => {
    const { body } = await rt.post('/hooks/sms', { phone: '+14155550199', name: 'Dee' });
    await rt.settle();
    await walk(15 * 60_000, 60_000);
    expect(tw.requests).toHaveLength(1);
    const r = await run(body.runId);
    expect(r.status).toBe('dead');
    expect(r.error).toContain('21610: Attempt to send to unsubscribed recipient (https://www.twilio.com/docs/errors/21610)');
  });

  it('the connection test lists the account; a wrong Auth Token fails it with 20003 Authenticate', async () => {
    expect((await rt.post('/api/connections/twilio/test', {})).body).toMatchObject({ ok: true });
    expect(tw.requests[0]).toMatchObject({ method: 'GET', path: '/2010-04-01/Accounts.json' });
    tw.credentials.delete(`${SID}:${AUTH_TOKEN}`);
    try {
      const bad = (await rt.post('/api/connections/twilio/test', {})).body;
      expect(bad.ok).toBe(false);
      expect(bad.error).toContain('20003: Authenticate');
    } finally {
      tw.credentials.set(`${SID}:${AUTH_TOKEN}`, SID);
    }
  });
});
