// The invoice-issue blueprint with a stripe connection: issuing an invoice creates the Stripe customer
// and invoice for the amount in cents (19.99 → 1999, not 1998), due on the invoice's due date,
// finalizes it and has Stripe send it, with metadata.invoice_id for the invoice-paid flow — against a
// loopback Stripe.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { flowsDirWith, startTestRuntime, type TestRuntime } from '../support/runtime.ts';
import { startFakeStripe, type FakeStripe } from '../support/fakes/stripe.ts';

const KEY = 'sk_test_51Blueprint000000000000000000000000000000000wxyz';
let rt: TestRuntime;
let stripe: FakeStripe;

beforeAll(async () => {
  rt = await startTestRuntime({ flowsDir: flowsDirWith(['invoice-issue']) });
  rt.clock.set('2026-03-06T09:00:00.000Z');
  stripe = await startFakeStripe(rt.clock);
  stripe.keys.add(KEY);
  const acct = encodeURIComponent('ada@lovelace-labs.example');
  await rt.post(`/api/records/account/${acct}/state`, { state: 'won', data: { company: 'Lovelace Labs' } });
  await rt.post(`/api/records/account/${acct}/state`, { state: 'in_delivery' });
  expect((await rt.post('/api/connections', { id: 'stripe', app: 'stripe', name: 'Acme Stripe', auth: { type: 'bearer', token: KEY }, baseUrl: stripe.url })).status).toBe(201);
});
afterAll(async () => {
  await rt?.dispose();
  await stripe?.close();
});

describe('invoice-issue with Stripe', () => {
  it('creates, finalizes and sends the Stripe invoice: cents, due date, metadata.invoice_id', async () => {
    const res = await rt.post('/api/flows/invoice-issue/run', { payload: { invoiceId: 'INV-2026-101', account: 'Ada@Lovelace-Labs.example', company: 'Lovelace Labs', amount: 19.99, currency: 'EUR', dueDate: '2026-03-20' } });
    expect(res.status).toBe(202);
    await rt.settle();
    const run = (await rt.get(`/api/runs/${res.body.runId}`)).body;
    expect(run.status).toBe('succeeded');
    expect(run.outcome, JSON.stringify(run.steps.map((s: { nodeId: string; error?: string }) => [s.nodeId, s.error]))).toBeUndefined();
    expect(stripe.requests.map((q) => q.path.replace(/in_\w+/, 'in_X'))).toEqual(['/v1/customers', '/v1/invoices', '/v1/invoiceitems', '/v1/invoices/in_X/finalize', '/v1/invoices/in_X/send']);
    expect(stripe.requests[0]!.form).toEqual({ email: 'ada@lovelace-labs.example', name: 'Lovelace Labs', 'metadata[flowdesk_account]': 'ada@lovelace-labs.example' });
    expect(stripe.requests[1]!.form).toMatchObject({ currency: 'eur', collection_method: 'send_invoice', days_until_due: '14', 'metadata[invoice_id]': 'INV-2026-101' });
    expect(stripe.requests[2]!.form).toMatchObject({ description: 'Invoice INV-2026-101', unit_amount_decimal: '1999', quantity: '1', currency: 'eur' });
    const out = run.steps.find((s: { nodeId: string }) => s.nodeId === 'stripe-invoice').output;
    expect(out).toMatchObject({ status: 'open', amountDue: 1999, currency: 'eur' });
    expect(stripe.sent).toEqual([out.id]);
    expect((await rt.get('/api/records/invoice/INV-2026-101')).body.state).toBe('issued');
  });
});
