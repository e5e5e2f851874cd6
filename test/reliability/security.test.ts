// Webhook signatures made by the real standardwebhooks and stripe packages, the admin token,
// secrets that reach the dependency but nowhere in the run log, alert or export, and alert delivery.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Webhook } from 'standardwebhooks';
import Stripe from 'stripe';
import { startTestRuntime, type TestRuntime } from '../support/runtime.ts';
import { startFailServer, type FailServer } from '../support/fail-server.ts';

const HMAC_SECRET = 'whsec_' + Buffer.from('a-very-secret-signing-key-0123456789').toString('base64');
const OLD_SECRET = 'whsec_' + Buffer.from('the-old-signing-key-9876543210abcdef').toString('base64');
const STRIPE_SECRET = 'whsec_stripe_test_secret_value_123';
const ADMIN = 'admin-token-for-tests-0123456789';
const CRM_KEY = 'sk_live_super_secret_crm_key';

let rt: TestRuntime;
let dep: FailServer;
let alertSink: FailServer;
const auth = { authorization: `Bearer ${ADMIN}` };
const api = {
  get: (p: string) => rt.get(p, auth),
  put: async (p: string, body: unknown) => {
    const res = await fetch(rt.url + p, { method: 'PUT', headers: { 'content-type': 'application/json', ...auth }, body: JSON.stringify(body) });
    return { status: res.status, body: (await res.json()) as any };
  },
};

const hookFlow = (id: string, path: string, a: Record<string, unknown>) => ({
  dsl: 1, id, name: id,
  trigger: { type: 'webhook', path, auth: a },
  nodes: [{ id: 'end', type: 'end' }],
  edges: [{ from: 'trigger', to: 'end' }],
});

beforeAll(async () => {
  alertSink = await startFailServer();
  dep = await startFailServer();
  rt = await startTestRuntime({
    env: {
      FLOWDESK_ADMIN_TOKEN: ADMIN,
      FLOWDESK_SECRET_SIGNED_HOOK: HMAC_SECRET,
      FLOWDESK_SECRET_STRIPE_HOOK: STRIPE_SECRET,
      FLOWDESK_SECRET_CRM_KEY: CRM_KEY,
      FLOWDESK_ALERT_WEBHOOK_URL: `${alertSink.url}/slack`,
    },
  });
  rt.clock.set(new Date().toISOString()); // signatures are made with the real time
  expect((await api.put('/api/flows/signed', hookFlow('signed', 'signed', { type: 'hmac', secret: 'SIGNED_HOOK' }))).status).toBe(200);
  expect((await api.put('/api/flows/stripe', hookFlow('stripe', 'stripe', { type: 'stripe', secret: 'STRIPE_HOOK' }))).status).toBe(200);
});
afterAll(async () => {
  await rt.dispose();
  await dep.close();
  await alertSink.close();
});

const send = (path: string, body: string, headers: Record<string, string>) =>
  fetch(`${rt.url}/hooks/${path}`, { method: 'POST', body, headers: { 'content-type': 'application/json', ...headers } });

describe('Standard Webhooks (hmac)', () => {
  const body = JSON.stringify({ type: 'lead.created', email: 'sig@example.com' });
  const sign = (secret: string, payload: string, at: Date, id = 'msg_1') => {
    const sig = new Webhook(secret).sign(id, at, payload);
    return { 'webhook-id': id, 'webhook-timestamp': String(Math.floor(at.getTime() / 1000)), 'webhook-signature': sig };
  };

  it('valid → 202', async () => {
    expect((await send('signed', body, sign(HMAC_SECRET, body, new Date()))).status).toBe(202);
  });
  it('tampered body, wrong secret, a 6-minute-old timestamp → 401, each in the rejected log', async () => {
    const h = sign(HMAC_SECRET, body, new Date());
    expect((await send('signed', body.replace('sig@', 'evil@'), h)).status).toBe(401);
    expect((await send('signed', body, sign(OLD_SECRET, body, new Date()))).status).toBe(401);
    const old = await send('signed', body, sign(HMAC_SECRET, body, new Date(rt.clock.now() - 6 * 60_000)));
    expect(old.status).toBe(401);
    expect(((await old.json()) as { error: string }).error).toMatch(/timestamp|tolerance/i);
    const rejected = (await api.get('/api/rejected?flowId=signed')).body;
    expect(rejected.filter((r: { status: number }) => r.status === 401).length).toBeGreaterThanOrEqual(3);
  });
  it('the ±5 minute tolerance holds both ways on the runtime’s clock: 4 min off either way → 202, 6 min ahead → 401', async () => {
    const now = rt.clock.now();
    for (const offset of [-4 * 60_000, 4 * 60_000]) {
      expect((await send('signed', body, sign(HMAC_SECRET, body, new Date(now + offset), `msg_ok_${offset}`))).status).toBe(202);
    }
    const ahead = await send('signed', body, sign(HMAC_SECRET, body, new Date(now + 6 * 60_000), 'msg_ahead'));
    expect(ahead.status).toBe(401);
    expect(((await ahead.json()) as { error: string }).error).toMatch(/timestamp|tolerance/i);
  });
  it('a rotated secret with two signatures → 202', async () => {
    const now = new Date();
    const a = sign(OLD_SECRET, body, now, 'msg_2');
    const b = sign(HMAC_SECRET, body, now, 'msg_2');
    expect((await send('signed', body, { ...b, 'webhook-signature': `${a['webhook-signature']} ${b['webhook-signature']}` })).status).toBe(202);
  });
});

describe('Stripe-Signature', () => {
  const stripe = new Stripe('sk_test_unused');
  const body = JSON.stringify({ id: 'evt_1', type: 'invoice.paid', data: { object: { id: 'in_1' } } });
  it('valid → 202; tampered or stale → 401', async () => {
    const header = stripe.webhooks.generateTestHeaderString({ payload: body, secret: STRIPE_SECRET });
    expect((await send('stripe', body, { 'stripe-signature': header })).status).toBe(202);
    expect((await send('stripe', body.replace('in_1', 'in_2'), { 'stripe-signature': header })).status).toBe(401);
    const stale = stripe.webhooks.generateTestHeaderString({ payload: body, secret: STRIPE_SECRET, timestamp: Math.floor(rt.clock.now() / 1000) - 360 });
    expect((await send('stripe', body, { 'stripe-signature': stale })).status).toBe(401);
  });
  it('a signature dated 6 minutes ahead of the runtime’s clock → 401; 4 minutes ahead → 202', async () => {
    // another event than above: the event id is the default idempotency key (a resent evt_1 answers 200, duplicate)
    const next = body.replace('evt_1', 'evt_2');
    const at = (offsetS: number) => stripe.webhooks.generateTestHeaderString({ payload: next, secret: STRIPE_SECRET, timestamp: Math.floor(rt.clock.now() / 1000) + offsetS });
    expect((await send('stripe', next, { 'stripe-signature': at(240) })).status).toBe(202);
    expect((await send('stripe', next, { 'stripe-signature': at(360) })).status).toBe(401);
  });
  it('a v1 of the right length that is not the signature → 401', async () => {
    const header = stripe.webhooks.generateTestHeaderString({ payload: body, secret: STRIPE_SECRET, timestamp: Math.floor(rt.clock.now() / 1000) });
    const v1 = header.split('v1=')[1]!;
    const forged = header.replace(v1, (v1[0] === '0' ? '1' : '0') + v1.slice(1));
    expect(forged).not.toBe(header);
    expect((await send('stripe', body, { 'stripe-signature': forged })).status).toBe(401);
  });
});

describe('admin API', () => {
  it('401 without or with a wrong bearer', async () => {
    expect((await rt.get('/api/flows')).status).toBe(401);
    expect((await rt.get('/api/flows', { authorization: 'Bearer nope' })).status).toBe(401);
    expect((await api.get('/api/flows')).status).toBe(200);
  });

  it('a {{secrets.X}} reaches the dependency but appears nowhere in the run log, alert, listing or export', async () => {
    dep.script([{ status: 400, body: `{"echo":"${CRM_KEY}"}` }]);
    const flow = {
      dsl: 1, id: 'crm', name: 'CRM', severity: 'P1',
      trigger: { type: 'webhook', path: 'crm', auth: { type: 'none' } },
      nodes: [
        { id: 'push', type: 'action', action: 'http.request', params: { url: `${dep.url}/x?k={{secrets.CRM_KEY}}`, method: 'POST', headers: { authorization: 'Bearer {{secrets.CRM_KEY}}' }, body: { k: '{{secrets.CRM_KEY}}' } } },
        { id: 'end', type: 'end' },
      ],
      edges: [{ from: 'trigger', to: 'push' }, { from: 'push', to: 'end' }],
    };
    expect((await api.put('/api/flows/crm', flow)).status).toBe(200);
    const { body } = await rt.post('/hooks/crm', { a: 1 });
    await rt.settle();
    expect(dep.requests[0]!.headers.authorization).toBe(`Bearer ${CRM_KEY}`);
    expect(dep.requests[0]!.body).toContain(CRM_KEY);
    const run = (await api.get(`/api/runs/${body.runId}`)).body;
    expect(run.status).toBe('dead');
    const everything = JSON.stringify([run, (await api.get('/api/alerts')).body, (await api.get('/api/dead-letters')).body, (await api.get('/api/flows')).body, (await api.get('/api/flows/crm')).body]);
    expect(everything).not.toContain(CRM_KEY);
    expect(everything).toContain('{{secrets.CRM_KEY}}');
    expect(alertSink.requests.map((r) => r.body).join('\n')).not.toContain(CRM_KEY);
  });
});

describe('alerts', () => {
  it('delivered at once as Slack JSON with the severity; 5 identical failures in 10 minutes → 1 + one summary of 4', async () => {
    const flow = {
      dsl: 1, id: 'pay', name: 'Pay', severity: 'P0',
      trigger: { type: 'webhook', path: 'pay', auth: { type: 'none' } },
      nodes: [{ id: 'charge', type: 'action', action: 'http.request', retry: { delays: [] }, params: { url: `${dep.url}/pay`, method: 'POST' } }, { id: 'end', type: 'end' }],
      edges: [{ from: 'trigger', to: 'charge' }, { from: 'charge', to: 'end' }],
    };
    expect((await api.put('/api/flows/pay', flow)).status).toBe(200);
    dep.script([], { status: 500 });
    const before = alertSink.requests.length;
    await rt.post('/hooks/pay', { n: 1 });
    await rt.settle();
    const first = alertSink.requests.slice(before);
    expect(first).toHaveLength(1);
    const text = (JSON.parse(first[0]!.body) as { text: string }).text;
    expect(text).toContain('[P0]');
    expect(text).toContain('pay/charge');
    for (let i = 2; i <= 5; i++) {
      await rt.advance(60_000);
      await rt.post('/hooks/pay', { n: i });
      await rt.settle();
    }
    expect(alertSink.requests.length - before).toBe(1);
    await rt.advance(10 * 60_000);
    const all = alertSink.requests.slice(before).map((r) => (JSON.parse(r.body) as { text: string }).text);
    expect(all).toHaveLength(2);
    expect(all[1]).toMatch(/\b4 more alerts\b/);
    expect((await api.get('/api/alerts?flowId=pay')).body).toHaveLength(5);
  });
});
