// stripe.createCustomer, stripe.createInvoice and stripe.createPaymentLink against a loopback Stripe that
// answers as Stripe's API reference documents: the form bodies field by field with one Idempotency-Key
// per operation, retries on the step's schedule that replay what Stripe already did (one customer, one
// invoice, never two), and Stripe's final errors (card_error, idempotency_error, resource_missing, a
// refused key) dead-lettered with Stripe's own message.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startTestRuntime, type TestRuntime } from '../support/runtime.ts';
import { startFakeStripe, type FakeStripe } from '../support/fakes/stripe.ts';

const T0 = Date.parse('2026-03-02T09:00:00.000Z');
const KEY = 'sk_test_51Fake0000000000000000000000000000000000abcd';

let rt: TestRuntime;
let stripe: FakeStripe;

const flow = (id: string, nodes: Record<string, unknown>[]) => ({
  dsl: 1,
  id,
  name: id,
  severity: 'P1',
  sop: ['Bill the client by hand in the Stripe dashboard'],
  trigger: { type: 'webhook', path: id, auth: { type: 'none' } },
  nodes: [...nodes.map((n) => ({ type: 'action', ...n })), { id: 'end', type: 'end' }],
  edges: [...nodes.map((n, i) => ({ from: i === 0 ? 'trigger' : (nodes[i - 1]!.id as string), to: n.id as string })), { from: nodes.at(-1)!.id as string, to: 'end' }],
});

const customerNode = { id: 'customer', action: 'stripe.createCustomer', params: { connection: 'stripe', email: '{{payload.email}}', name: '{{payload.name}}', metadata: { source: 'flowdesk', plan: '{{payload.plan}}' } } };
const invoiceNode = {
  id: 'invoice',
  action: 'stripe.createInvoice',
  params: {
    connection: 'stripe',
    customer: '{{steps.customer.output.id}}',
    currency: 'eur',
    daysUntilDue: 14,
    description: 'Thank you!',
    lines: [
      { description: 'Website audit', unitAmount: 120000, quantity: 1 },
      { description: 'Follow-up calls', unitAmount: 15000, quantity: 2 },
    ],
  },
};

async function walk(ms: number, stepMs = 5000) {
  for (let t = 0; t < ms; t += stepMs) await rt.advance(stepMs);
}
const run = async (id: string) => (await rt.get(`/api/runs/${id}`)).body;
const secondsOf = (path: string) => stripe.requests.filter((r) => r.path === path).map((r) => (r.at - T0) / 1000);

beforeAll(async () => {
  rt = await startTestRuntime();
  stripe = await startFakeStripe(rt.clock);
  stripe.keys.add(KEY);
  expect((await rt.post('/api/connections', { id: 'stripe', app: 'stripe', name: 'Acme Stripe', auth: { type: 'bearer', token: KEY }, baseUrl: stripe.url })).status).toBe(201);
  expect((await rt.put('/api/flows/customer', flow('customer', [customerNode]))).status).toBe(200);
  expect((await rt.put('/api/flows/bill', flow('bill', [customerNode, invoiceNode]))).status).toBe(200);
  const link = { id: 'link', action: 'stripe.createPaymentLink', params: { connection: 'stripe', price: '{{payload.price}}', quantity: 2, redirectUrl: 'https://acme.example/thanks' } };
  expect((await rt.put('/api/flows/link', flow('link', [link]))).status).toBe(200);
});
afterAll(async () => {
  await stripe.close();
  await rt.dispose();
});
beforeEach(() => {
  stripe.requests.length = 0;
  stripe.script([]);
  rt.clock.set(new Date(T0).toISOString());
});

describe('stripe.createCustomer', () => {
  it('POSTs /v1/customers form-encoded with the key and the operation\'s Idempotency-Key; the output is typed', async () => {
    const { body } = await rt.post('/hooks/customer', { email: 'ada@example.com', name: 'Ada Lovelace', plan: 'pro' });
    await rt.settle();
    const r = await run(body.runId);
    expect(r.status).toBe('succeeded');
    expect(stripe.requests).toHaveLength(1);
    const q = stripe.requests[0]!;
    expect(q.method).toBe('POST');
    expect(q.path).toBe('/v1/customers');
    expect(q.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(q.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(q.headers['idempotency-key']).toBe(`${body.runId}:customer:createCustomer`);
    expect(q.form).toEqual({ email: 'ada@example.com', name: 'Ada Lovelace', 'metadata[source]': 'flowdesk', 'metadata[plan]': 'pro' });
    const id = r.steps[0].output.id as string;
    expect(id).toMatch(/^cus_/);
    expect(r.steps[0].output).toEqual({ id, email: 'ada@example.com', name: 'Ada Lovelace' });
    expect(stripe.customers.get(id)).toMatchObject({ email: 'ada@example.com', metadata: { source: 'flowdesk', plan: 'pro' } });
    expect(JSON.stringify(r)).not.toContain(KEY);
  });

  it('a lost answer (Stripe created the customer, the connection dropped) is retried at +30 s with the same key: Stripe replays it, one customer', async () => {
    const before = stripe.customers.size;
    stripe.script(['lose']);
    const { body } = await rt.post('/hooks/customer', { email: 'bo@example.com', name: 'Bo', plan: 'basic' });
    await rt.settle();
    expect((await run(body.runId)).status).toBe('waiting');
    await walk(60_000);
    const r = await run(body.runId);
    expect(r.status).toBe('succeeded');
    expect(secondsOf('/v1/customers')).toEqual([0, 30]);
    expect(stripe.requests.map((q) => q.replayed)).toEqual([false, true]);
    expect(stripe.requests[1]!.headers['idempotency-key']).toBe(stripe.requests[0]!.headers['idempotency-key']);
    expect(stripe.customers.size).toBe(before + 1);
    expect(r.steps[0].attempts.map((a: { errorClass?: string }) => a.errorClass ?? 'ok')).toEqual(['network', 'ok']);
  });

  it('429 (rate limiter) then 500 api_error before executing: retried on the step\'s schedule (+30 s, +2 m), three calls, one customer', async () => {
    const before = stripe.customers.size;
    stripe.script([
      { status: 429, body: { error: { type: 'invalid_request_error', code: 'rate_limit', message: 'Request rate limit exceeded.' } } },
      { status: 500, body: { error: { type: 'api_error', message: 'An unknown error occurred' } } },
    ]);
    const { body } = await rt.post('/hooks/customer', { email: 'cy@example.com', name: 'Cy', plan: 'pro' });
    await rt.settle();
    await walk(3 * 60_000);
    const r = await run(body.runId);
    expect(secondsOf('/v1/customers')).toEqual([0, 30, 150]);
    expect(r.status).toBe('succeeded');
    expect(r.steps[0].attempts.map((a: { errorClass?: string }) => a.errorClass ?? 'ok')).toEqual(['429', '5xx', 'ok']);
    expect(r.steps[0].attempts[0].error).toContain('rate_limit: Request rate limit exceeded.');
    expect(stripe.customers.size).toBe(before + 1);
  });

  it('Stripe-Should-Retry: false on a 500 is final: one call, dead-lettered with Stripe\'s message', async () => {
    stripe.script([{ status: 500, headers: { 'stripe-should-retry': 'false' }, body: { error: { type: 'api_error', message: 'The request could not be completed.' } } }]);
    const { body } = await rt.post('/hooks/customer', { email: 'dee@example.com', name: 'Dee', plan: 'pro' });
    await rt.settle();
    await walk(15 * 60_000, 60_000);
    expect(stripe.requests).toHaveLength(1);
    const r = await run(body.runId);
    expect(r.status).toBe('dead');
    expect(r.error).toContain('api_error: The request could not be completed.');
  });

  it('a refused key (401) is final with Stripe\'s message, the key itself never in the run', async () => {
    stripe.keys.delete(KEY);
    try {
      const { body } = await rt.post('/hooks/customer', { email: 'eve@example.com', name: 'Eve', plan: 'pro' });
      await rt.settle();
      await walk(15 * 60_000, 60_000);
      expect(stripe.requests).toHaveLength(1);
      const r = await run(body.runId);
      expect(r.status).toBe('dead');
      expect(r.error).toContain('invalid_request_error: Invalid API Key provided: sk_test_****abcd');
      expect(JSON.stringify(r)).not.toContain(KEY);
    } finally {
      stripe.keys.add(KEY);
    }
  });
});

describe('stripe.createInvoice', () => {
  it('creates the draft, adds each line, finalizes and sends: five requests field by field, one key per operation', async () => {
    const { body } = await rt.post('/hooks/bill', { email: 'fay@example.com', name: 'Fay', plan: 'pro' });
    await rt.settle();
    const r = await run(body.runId);
    expect(r.status).toBe('succeeded');
    const cus = r.steps[0].output.id as string;
    const calls = stripe.requests.slice(1);
    expect(calls.map((q) => `${q.method} ${q.path}`)).toEqual([
      'POST /v1/invoices',
      'POST /v1/invoiceitems',
      'POST /v1/invoiceitems',
      expect.stringMatching(/^POST \/v1\/invoices\/in_\w+\/finalize$/),
      expect.stringMatching(/^POST \/v1\/invoices\/in_\w+\/send$/),
    ]);
    expect(calls.map((q) => q.headers['idempotency-key'])).toEqual(['createInvoice', 'invoiceItem-0', 'invoiceItem-1', 'finalizeInvoice', 'sendInvoice'].map((op) => `${body.runId}:invoice:${op}`));
    expect(calls.every((q) => q.headers.authorization === `Bearer ${KEY}`)).toBe(true);
    expect(calls[0]!.form).toEqual({
      customer: cus,
      currency: 'eur',
      collection_method: 'send_invoice',
      days_until_due: '14',
      pending_invoice_items_behavior: 'exclude',
      auto_advance: 'false',
      description: 'Thank you!',
    });
    const inv = r.steps[1].output.id as string;
    expect(calls[1]!.form).toEqual({ customer: cus, invoice: inv, currency: 'eur', description: 'Website audit', quantity: '1', unit_amount_decimal: '120000' });
    expect(calls[2]!.form).toEqual({ customer: cus, invoice: inv, currency: 'eur', description: 'Follow-up calls', quantity: '2', unit_amount_decimal: '15000' });
    expect(calls[3]!.form).toEqual({ auto_advance: 'false' });
    expect(calls[4]!.raw).toBe('');
    expect(r.steps[1].output).toEqual({ id: inv, number: expect.stringMatching(/^FAKE-\d{4}$/), status: 'open', hostedInvoiceUrl: `https://invoice.stripe.com/i/acct_fake/${inv}`, amountDue: 150000, currency: 'eur', customer: cus });
    expect(stripe.sent).toContain(inv);
  });

  it('a 429 on the second line: the retry at +30 s replays the draft and the first line from Stripe and carries on — one invoice, each line once', async () => {
    const invoicesBefore = stripe.invoices.size;
    stripe.script(['pass', 'pass', 'pass', { status: 429, body: { error: { type: 'invalid_request_error', code: 'lock_timeout', message: 'This object cannot be accessed right now because another API request or Stripe process is currently accessing it.' } } }]);
    const { body } = await rt.post('/hooks/bill', { email: 'gus@example.com', name: 'Gus', plan: 'pro' });
    await rt.settle();
    expect((await run(body.runId)).status).toBe('waiting');
    await walk(60_000);
    const r = await run(body.runId);
    expect(r.status).toBe('succeeded');
    expect(secondsOf('/v1/invoices')).toEqual([0, 30]);
    expect(secondsOf('/v1/invoiceitems')).toEqual([0, 0, 30, 30]);
    const items = stripe.requests.filter((q) => q.path === '/v1/invoiceitems');
    expect(items.map((q) => [q.headers['idempotency-key'], q.replayed])).toEqual([
      [`${body.runId}:invoice:invoiceItem-0`, false],
      [`${body.runId}:invoice:invoiceItem-1`, false],
      [`${body.runId}:invoice:invoiceItem-0`, true],
      [`${body.runId}:invoice:invoiceItem-1`, false],
    ]);
    expect(stripe.requests.find((q) => q.path === '/v1/invoices' && q.at === T0 + 30_000)?.replayed).toBe(true);
    expect(stripe.invoices.size).toBe(invoicesBefore + 1);
    const inv = stripe.invoices.get(r.steps[1].output.id)!;
    expect(inv.lines.data.map((l) => l.description)).toEqual(['Website audit', 'Follow-up calls']);
    expect(inv.amount_due).toBe(150000);
    expect(r.steps[1].attempts.map((a: { errorClass?: string }) => a.errorClass ?? 'ok')).toEqual(['429', 'ok']);
  });

  it("idempotency_error (the key replayed with other parameters) is final with a clear error, never retried", async () => {
    stripe.script(['pass', { status: 400, body: { error: { type: 'idempotency_error', message: "Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than 'k' if you meant to execute a different request." } } }]);
    const { body } = await rt.post('/hooks/bill', { email: 'hal@example.com', name: 'Hal', plan: 'pro' });
    await rt.settle();
    await walk(15 * 60_000, 60_000);
    expect(stripe.requests.filter((q) => q.path === '/v1/invoices')).toHaveLength(1);
    const r = await run(body.runId);
    expect(r.status).toBe('dead');
    expect(r.error).toContain('replayed with its Idempotency-Key but other parameters');
    expect(r.error).toContain('idempotency_error: Keys for idempotent requests can only be used with the same parameters');
  });

  it('a 402 card_error is final: one call, a dead letter and an alert with the decline', async () => {
    const alertsBefore = (await rt.get('/api/alerts')).body.length;
    stripe.script(['pass', 'pass', 'pass', 'pass', { status: 402, body: { error: { type: 'card_error', code: 'card_declined', decline_code: 'insufficient_funds', message: 'Your card has insufficient funds.' } } }]);
    const { body } = await rt.post('/hooks/bill', { email: 'ivy@example.com', name: 'Ivy', plan: 'pro' });
    await rt.settle();
    await walk(15 * 60_000, 60_000);
    expect(stripe.requests.filter((q) => /finalize$/.test(q.path))).toHaveLength(1);
    const r = await run(body.runId);
    expect(r.status).toBe('dead');
    expect(r.steps[1].attempts[0]).toMatchObject({ status: 402, errorClass: '4xx' });
    expect(r.error).toContain('card_error/card_declined/insufficient_funds: Your card has insufficient funds.');
    const dl = (await rt.get('/api/dead-letters?flowId=bill')).body.find((d: { id: string }) => d.id === body.runId);
    expect(dl.error).toContain('insufficient_funds');
    const alerts = (await rt.get('/api/alerts')).body;
    expect(alerts.length).toBe(alertsBefore + 1);
  });

  it('an unknown customer is Stripe\'s 400 resource_missing naming the param: final', async () => {
    const f = flow('bill-ghost', [{ ...invoiceNode, params: { ...invoiceNode.params, customer: 'cus_Ghost' } }]);
    expect((await rt.put('/api/flows/bill-ghost', f)).status).toBe(200);
    const { body } = await rt.post('/hooks/bill-ghost', {});
    await rt.settle();
    expect(stripe.requests).toHaveLength(1);
    const r = await run(body.runId);
    expect(r.status).toBe('dead');
    expect(r.error).toContain("invalid_request_error/resource_missing: No such customer: 'cus_Ghost' (param customer)");
  });
});

describe('stripe.createPaymentLink', () => {
  it('POSTs line_items and after_completion as bracketed keys; the output is the link\'s URL', async () => {
    const { body } = await rt.post('/hooks/link', { price: 'price_1Basic' });
    await rt.settle();
    const r = await run(body.runId);
    expect(r.status).toBe('succeeded');
    const q = stripe.requests[0]!;
    expect(q.path).toBe('/v1/payment_links');
    expect(q.headers['idempotency-key']).toBe(`${body.runId}:link:createPaymentLink`);
    expect(q.form).toEqual({ 'line_items[0][price]': 'price_1Basic', 'line_items[0][quantity]': '2', 'after_completion[type]': 'redirect', 'after_completion[redirect][url]': 'https://acme.example/thanks' });
    expect(r.steps[0].output).toEqual({ id: expect.stringMatching(/^plink_/), url: expect.stringMatching(/^https:\/\/buy\.stripe\.com\/test_/) });
  });

  it('an unknown price is final with Stripe\'s message', async () => {
    const { body } = await rt.post('/hooks/link', { price: 'price_Gone' });
    await rt.settle();
    await walk(15 * 60_000, 60_000);
    expect(stripe.requests).toHaveLength(1);
    const r = await run(body.runId);
    expect(r.status).toBe('dead');
    expect(r.error).toContain("No such price: 'price_Gone' (param line_items[0][price])");
  });
});

describe('the stripe connection', () => {
  it('tests with GET /v1/customers?limit=1 (no Idempotency-Key on a read)', async () => {
    const res = await rt.post('/api/connections/stripe/test', {});
    expect(res.body).toMatchObject({ ok: true, message: 'the key can read customers' });
    expect(stripe.requests).toHaveLength(1);
    expect(stripe.requests[0]).toMatchObject({ method: 'GET', path: '/v1/customers', form: { limit: '1' } });
    expect(stripe.requests[0]!.headers['idempotency-key']).toBeUndefined();
  });

  it('a stripe step whose connection is missing ends not-configured: nothing is sent', async () => {
    const f = flow('bill-unset', [{ ...customerNode, params: { ...customerNode.params, connection: 'stripe-live' } }]);
    expect((await rt.put('/api/flows/bill-unset', f)).status).toBe(200);
    const { body } = await rt.post('/hooks/bill-unset', { email: 'jo@example.com', name: 'Jo', plan: 'pro' });
    await rt.settle();
    expect(stripe.requests).toHaveLength(0);
    const r = await run(body.runId);
    expect(r).toMatchObject({ status: 'succeeded', outcome: 'not-configured' });
    expect(r.steps[0]).toMatchObject({ outcome: 'not-configured', error: expect.stringContaining('connection "stripe-live" does not exist') });
  });
});
