// Issue 12, item 9: signed-event replay. As found: the same Standard Webhooks request sent three times
// within 5 minutes gave three runs on a flow with no idempotency key. Now the signed delivery id is the
// default key — `webhook-id` for `hmac`, the event `id` for `stripe` — for as long as the sender retries
// (Standard Webhooks ~27 h 35 min: 28h; Stripe: 3 days). Signatures come from the real libraries; the
// runtime's clock is moved by hand, and the sender's retries are signed at the time they are sent.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Webhook } from 'standardwebhooks';
import Stripe from 'stripe';
import { startTestRuntime, type TestRuntime } from '../support/runtime.ts';
import { raw, sideEffects } from './support.ts';

const HMAC_SECRET = 'whsec_' + Buffer.from('replay-test-signing-key-0123456789').toString('base64');
const STRIPE_SECRET = 'whsec_stripe_replay_secret_value_42';
const HOUR = 3_600_000;

const hookFlow = (id: string, auth: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  dsl: 1, id, name: id,
  trigger: { type: 'webhook', path: id, auth, ...extra },
  nodes: [{ id: 'task', type: 'action', action: 'task.create', params: { title: 'Handle {{payload.type}}' } }, { id: 'end', type: 'end' }],
  edges: [{ from: 'trigger', to: 'task' }, { from: 'task', to: 'end' }],
});

let rt: TestRuntime;
beforeAll(async () => {
  rt = await startTestRuntime({ env: { FLOWDESK_SECRET_SW: HMAC_SECRET, FLOWDESK_SECRET_ST: STRIPE_SECRET } });
  for (const f of [
    hookFlow('sw', { type: 'hmac', secret: 'SW' }),
    hookFlow('sw-own-key', { type: 'hmac', secret: 'SW' }, { idempotencyKey: { var: 'payload.orderId' } }),
    hookFlow('st', { type: 'stripe', secret: 'ST' }),
  ]) expect((await rt.put(`/api/flows/${f.id}`, f)).status).toBe(200);
});
afterAll(async () => {
  await rt?.dispose();
});

/** A Standard Webhooks delivery of `body` under `id`, signed now (the runtime's clock). */
function standard(path: string, id: string, body: string) {
  const at = new Date(rt.clock.now());
  const headers = { 'content-type': 'application/json', 'webhook-id': id, 'webhook-timestamp': String(Math.floor(at.getTime() / 1000)), 'webhook-signature': new Webhook(HMAC_SECRET).sign(id, at, body) };
  return raw(rt, { method: 'POST', path: `/hooks/${path}`, headers, body });
}
const stripe = new Stripe('sk_test_unused');
function stripeEvent(body: string) {
  const header = stripe.webhooks.generateTestHeaderString({ payload: body, secret: STRIPE_SECRET, timestamp: Math.floor(rt.clock.now() / 1000) });
  return raw(rt, { method: 'POST', path: '/hooks/st', headers: { 'content-type': 'application/json', 'stripe-signature': header }, body });
}

describe('hmac (Standard Webhooks): the webhook-id is the default key', () => {
  it('the same request sent three times within 5 minutes gives one run (and one task)', async () => {
    const body = JSON.stringify({ type: 'invoice.created', orderId: 'o-1' });
    const before = await sideEffects(rt);
    const first = await standard('sw', 'msg_2LhA5wW1', body);
    expect(first.status).toBe(202);
    await rt.advance(2 * 60_000);
    const second = await standard('sw', 'msg_2LhA5wW1', body);
    await rt.advance(2 * 60_000);
    const third = await standard('sw', 'msg_2LhA5wW1', body);
    for (const again of [second, third]) expect([again.status, again.body]).toEqual([200, { runId: first.body.runId, duplicate: true }]);
    await rt.settle();
    const after = await sideEffects(rt);
    expect([after.runs - before.runs, after.tasks - before.tasks]).toEqual([1, 1]);
    expect((await rt.get(`/api/runs/${first.body.runId}`)).body.idempotencyKey).toBe('msg_2LhA5wW1');
  });

  it('a retry 27 h later is still the same delivery; after the 28 h window the id starts a run again', async () => {
    const body = JSON.stringify({ type: 'invoice.paid', orderId: 'o-2' });
    const first = await standard('sw', 'msg_retry', body);
    expect(first.status).toBe(202);
    await rt.advance(27 * HOUR + 35 * 60_000); // the last retry of the Standard Webhooks schedule
    expect((await standard('sw', 'msg_retry', body)).body).toEqual({ runId: first.body.runId, duplicate: true });
    await rt.advance(HOUR);
    const later = await standard('sw', 'msg_retry', body);
    expect(later.status).toBe(202);
    expect(later.body.runId).not.toBe(first.body.runId);
  });

  it('valid traffic still passes: another delivery id is another run; a flow with its own key uses it', async () => {
    const body = JSON.stringify({ type: 'invoice.created', orderId: 'o-3' });
    const a = await standard('sw', 'msg_a', body);
    const b = await standard('sw', 'msg_b', body);
    expect([a.status, b.status]).toEqual([202, 202]);
    expect(a.body.runId).not.toBe(b.body.runId);
    // the flow's own key wins: two deliveries of one order are one run, whatever their ids
    const c = await standard('sw-own-key', 'msg_c', body);
    const d = await standard('sw-own-key', 'msg_d', body);
    expect([c.status, d.status, d.body.runId]).toEqual([202, 200, c.body.runId]);
  });
});

describe('stripe: the event id is the default key', () => {
  it('one event re-sent (freshly signed) over almost 3 days gives one run; a new event id another', async () => {
    const before = await sideEffects(rt);
    const body = JSON.stringify({ id: 'evt_1PxReplay', type: 'invoice.paid', data: { object: { id: 'in_1' } } });
    const first = await stripeEvent(body);
    expect(first.status).toBe(202);
    for (const wait of [HOUR, 24 * HOUR, 46 * HOUR]) {
      await rt.advance(wait);
      expect((await stripeEvent(body)).body).toEqual({ runId: first.body.runId, duplicate: true });
    }
    const other = await stripeEvent(JSON.stringify({ id: 'evt_1PxOther', type: 'invoice.paid', data: { object: { id: 'in_1' } } }));
    expect(other.status).toBe(202);
    await rt.settle();
    const after = await sideEffects(rt);
    expect([after.runs - before.runs, after.tasks - before.tasks]).toEqual([2, 2]);
  });
});
