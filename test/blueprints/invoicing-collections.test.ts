// Blueprint 4 over real HTTP: invoices issued → reminders at due−3d, due+1d (marked overdue), due+7d,
// escalation at due+14d, churn after CHURN_AFTER; the hard stop sends high-value invoices to human
// review, never to dunning; a Stripe invoice.paid moves the invoice to paid and cancels what is pending.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { flowsDirWith, startTestRuntime, type TestRuntime } from '../support/runtime.ts';
import { closeEmailTransports } from '../../apps/runtime/src/actions/email.ts';
import { smtpEnv, startSmtpSink, stripeSignature, type RecordView, type SmtpSink } from './support.ts';

const STRIPE_SECRET = 'whsec_test_invoice_secret';
const ADA = 'ada@lovelace-labs.example';
const GRACE = 'grace@hopper-co.example';
const BIG = 'ops@bigcorp.example';

let smtp: SmtpSink;
let rt: TestRuntime;
beforeAll(async () => {
  smtp = await startSmtpSink();
  rt = await startTestRuntime({
    flowsDir: flowsDirWith(['invoice-issue', 'invoicing-collections', 'invoice-paid']),
    env: { ...smtpEnv(smtp.port), FLOWDESK_SECRET_STRIPE_INVOICE_SECRET: STRIPE_SECRET, FLOWDESK_CONFIG_CHURN_AFTER: '21d' },
  });
  for (const [key, company] of [[ADA, 'Lovelace Labs'], [GRACE, 'Hopper & Co'], [BIG, 'BigCorp']] as const) {
    await rt.post(`/api/records/account/${encodeURIComponent(key)}/state`, { state: 'won', data: { company } });
    await rt.post(`/api/records/account/${encodeURIComponent(key)}/state`, { state: 'in_delivery' });
  }
});
afterAll(async () => {
  await rt?.dispose();
  closeEmailTransports();
  await smtp?.close();
});

const invoice = async (id: string): Promise<RecordView> => (await rt.get(`/api/records/invoice/${id}`)).body;
const account = async (key: string): Promise<RecordView> => (await rt.get(`/api/records/account/${encodeURIComponent(key)}`)).body;
const subjectsTo = (addr: string) => smtp.mails.filter((m) => m.rcpt.includes(addr)).map((m) => m.subject);
const collectionsRun = async (invoiceId: string) =>
  ((await rt.get(`/api/runs?flowId=invoicing-collections&record=invoice:${invoiceId}`)).body as { id: string; status: string; record: { key: string } }[]).find((r) => r.record.key === invoiceId)!;
const at = async (iso: string) => {
  rt.clock.set(iso);
  await rt.settle();
};
const paid = (invoiceId: string, eventId: string) => {
  const body = JSON.stringify({
    id: eventId,
    object: 'event',
    type: 'invoice.paid',
    data: { object: { id: `in_${invoiceId}`, object: 'invoice', number: invoiceId, amount_paid: 100, currency: 'eur', status: 'paid', metadata: { invoice_id: invoiceId } } },
  });
  return rt.post('/hooks/stripe-invoice-paid', body, { 'stripe-signature': stripeSignature(body, STRIPE_SECRET, rt.clock.now()) });
};

describe('invoicing-collections blueprint', () => {
  it('issuing invoices records them and starts one collections run each', async () => {
    const issue = (invoiceId: string, acct: string, company: string, amount: number) =>
      rt.post('/api/flows/invoice-issue/run', { payload: { invoiceId, account: acct, company, amount, currency: 'EUR', dueDate: '2026-03-20' } });
    expect((await issue('INV-A-001', ADA, 'Lovelace Labs', 2400)).status).toBe(202);
    expect((await issue('INV-B-001', GRACE, 'Hopper & Co', 1800)).status).toBe(202);
    expect((await issue('INV-C-001', BIG, 'BigCorp', 18000)).status).toBe(202);
    await rt.settle();
    const a = await invoice('INV-A-001');
    expect(a.state).toBe('issued');
    expect(a.data).toMatchObject({ accountKey: ADA, amount: 2400, currency: 'EUR', dueDate: '2026-03-20' });
    expect((await account(ADA)).history.map((h) => h.to)).toEqual(['won', 'in_delivery', 'invoice_issued']);
    const runA = await collectionsRun('INV-A-001');
    expect(runA.status).toBe('waiting');
    expect((await rt.get(`/api/runs/${runA.id}`)).body.wakeAt).toBe('2026-03-17T00:00:00.000Z');
    expect(smtp.mails).toHaveLength(0);
    // a fresh install has no stripe connection: the Stripe invoice is not-configured, never as if it had gone out
    const issueRuns = (await rt.get('/api/runs?flowId=invoice-issue')).body as { id: string; status: string; outcome?: string }[];
    expect(issueRuns).toHaveLength(3);
    for (const r of issueRuns) expect(r).toMatchObject({ status: 'succeeded', outcome: 'not-configured' });
    const steps = (await rt.get(`/api/runs/${issueRuns[0]!.id}`)).body.steps as { nodeId: string; outcome?: string }[];
    expect(steps.filter((st) => st.nodeId.startsWith('stripe-')).map((st) => [st.nodeId, st.outcome])).toEqual([
      ['stripe-customer', 'not-configured'],
      ['stripe-invoice', 'not-configured'],
    ]);
  });

  it('hard stop: the 18,000 invoice goes to a human review and a task, never to automated dunning', async () => {
    const run = await collectionsRun('INV-C-001');
    expect(run.status).toBe('needs_review');
    const review = (await rt.get('/api/reviews?queue=collections')).body.find((x: { runId: string }) => x.runId === run.id);
    expect(review).toMatchObject({ nodeId: 'high-value-review', title: 'High-value invoice: follow up personally (no automated dunning)' });
    const task = (await rt.get('/api/tasks')).body.find((t: { runId: string }) => t.runId === run.id);
    expect(task).toMatchObject({ title: 'Personal follow-up: invoice INV-C-001 for BigCorp (18000 EUR, due 2026-03-20)', due: '2026-03-17T00:00:00.000Z', record: { entity: 'invoice', key: 'INV-C-001' } });
  });

  it('due − 3 days: the first reminder', async () => {
    await at('2026-03-16T23:59:00.000Z');
    expect(smtp.mails).toHaveLength(0);
    await at('2026-03-17T00:00:00.000Z');
    expect(subjectsTo(ADA)).toEqual(['Invoice INV-A-001 is due on 2026-03-20']);
    expect(subjectsTo(GRACE)).toEqual(['Invoice INV-B-001 is due on 2026-03-20']);
    const m = smtp.mails.find((x) => x.rcpt.includes(ADA))!;
    expect(m.text).toContain('invoice INV-A-001 for Lovelace Labs (2400 EUR) is due on 2026-03-20');
  });

  it('due + 1 day: invoices marked overdue and the overdue reminder', async () => {
    await at('2026-03-21T00:00:00.000Z');
    expect((await invoice('INV-A-001')).history.map((h) => h.to)).toEqual(['issued', 'overdue']);
    expect(subjectsTo(ADA)).toEqual(['Invoice INV-A-001 is due on 2026-03-20', 'Invoice INV-A-001 is now overdue']);
    expect(subjectsTo(GRACE)).toHaveLength(2);
  });

  it('Stripe invoice.paid → invoice paid, account retained, the pending reminders cancelled', async () => {
    const res = await paid('INV-A-001', 'evt_paid_a');
    expect(res.status).toBe(202);
    await rt.settle();
    const inv = await invoice('INV-A-001');
    expect(inv.history.map((h) => [h.from, h.to])).toEqual([
      [null, 'issued'],
      ['issued', 'overdue'],
      ['overdue', 'paid'],
    ]);
    expect(inv.history[2]!.cause).toMatchObject({ runId: res.body.runId, nodeId: 'paid' });
    expect((await account(ADA)).history.map((h) => h.to)).toEqual(['won', 'in_delivery', 'invoice_issued', 'retained']);
    const run = await collectionsRun('INV-A-001');
    expect(run.status).toBe('cancelled');
    // the same Stripe event again is a duplicate
    expect((await paid('INV-A-001', 'evt_paid_a')).status).toBe(200);
  });

  it('due + 7 days: second reminder (only to the unpaid invoice)', async () => {
    await at('2026-03-27T00:00:00.000Z');
    expect(subjectsTo(GRACE).at(-1)).toBe('Second reminder: invoice INV-B-001 is 7 days overdue');
    expect(subjectsTo(ADA)).toHaveLength(2);
  });

  it('due + 14 days: escalation — a P1 alert and a call task', async () => {
    await at('2026-04-02T23:00:00.000Z');
    expect((await rt.get('/api/alerts?flowId=invoicing-collections')).body).toEqual([]);
    await at('2026-04-03T00:00:00.000Z');
    const runB = await collectionsRun('INV-B-001');
    const alerts = (await rt.get('/api/alerts?flowId=invoicing-collections')).body;
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ kind: 'collections_escalation', severity: 'P1', runId: runB.id });
    expect(alerts[0].message).toBe('Invoice INV-B-001 for Hopper & Co (1800 EUR) is 14 days overdue: call the client');
    const task = (await rt.get('/api/tasks')).body.find((t: { runId: string; nodeId: string }) => t.runId === runB.id && t.nodeId === 'escalation-task');
    expect(task).toMatchObject({ title: 'Call Hopper & Co about invoice INV-B-001 (14 days overdue)', due: '2026-04-04T00:00:00.000Z', owner: 'founder' });
    expect(subjectsTo(GRACE)).toHaveLength(3); // no more e-mails after the escalation
  });

  it('after CHURN_AFTER (configured 21d) overdue: account churned, write-off review → invoice written off', async () => {
    await at('2026-04-09T23:59:00.000Z');
    expect((await account(GRACE)).state).toBe('invoice_issued');
    await at('2026-04-10T00:00:00.000Z');
    expect((await account(GRACE)).history.map((h) => h.to)).toEqual(['won', 'in_delivery', 'invoice_issued', 'churned']);
    const runB = await collectionsRun('INV-B-001');
    const review = (await rt.get('/api/reviews?queue=collections')).body.find((x: { runId: string }) => x.runId === runB.id);
    expect(review).toMatchObject({ nodeId: 'write-off-review', decisions: ['write-off', 'keep-open'] });
    await rt.post(`/api/reviews/${review.id}/resolve`, { decision: 'write-off' });
    await rt.settle();
    expect((await invoice('INV-B-001')).history.map((h) => h.to)).toEqual(['issued', 'overdue', 'written_off']);
    expect((await collectionsRun('INV-B-001')).status).toBe('succeeded');
  });

  it('the high-value invoice never got a reminder; its payment closes the review', async () => {
    await at('2026-04-30T00:00:00.000Z');
    expect(subjectsTo(BIG)).toEqual([]);
    expect(subjectsTo(ADA)).toHaveLength(2);
    expect(subjectsTo(GRACE)).toHaveLength(3);
    expect((await paid('INV-C-001', 'evt_paid_c')).status).toBe(202);
    await rt.settle();
    expect((await invoice('INV-C-001')).history.map((h) => h.to)).toEqual(['issued', 'paid']);
    const run = await collectionsRun('INV-C-001');
    expect(run.status).toBe('cancelled');
    const open = (await rt.get('/api/reviews?queue=collections')).body as { runId: string }[];
    expect(open.filter((x) => x.runId === run.id)).toEqual([]);
  });

  it('a payment for an invoice Flowdesk never issued goes to review', async () => {
    const res = await paid('INV-ZZZ', 'evt_unknown');
    await rt.settle();
    const r = (await rt.get(`/api/runs/${res.body.runId}`)).body;
    expect(r.status).toBe('needs_review');
    expect((await rt.get(`/api/records/invoice/INV-ZZZ`)).status).toBe(404);
  });
});

describe('invoicing-collections across a restart', () => {
  it('a reminder wait survives the runtime being stopped and started again', async () => {
    const flowsDir = flowsDirWith(['invoice-issue', 'invoicing-collections', 'invoice-paid']);
    const env = { ...smtpEnv(smtp.port), FLOWDESK_SECRET_STRIPE_INVOICE_SECRET: STRIPE_SECRET };
    const first = await startTestRuntime({ flowsDir, env });
    const dataDir = first.dataDir;
    await first.post(`/api/records/account/${encodeURIComponent('kim@restart.example')}/state`, { state: 'won' });
    await first.post(`/api/records/account/${encodeURIComponent('kim@restart.example')}/state`, { state: 'in_delivery' });
    await first.post('/api/flows/invoice-issue/run', { payload: { invoiceId: 'INV-R-001', account: 'kim@restart.example', amount: 900, dueDate: '2026-03-10' } });
    await first.settle();
    await first.close(); // stopped while the collections run waits for due − 3d

    const second = await startTestRuntime({ flowsDir, env, dataDir });
    try {
      second.clock.set('2026-03-07T00:00:00.000Z');
      await second.settle();
      const mails = smtp.mails.filter((m) => m.rcpt.includes('kim@restart.example'));
      expect(mails.map((m) => m.subject)).toEqual(['Invoice INV-R-001 is due on 2026-03-10']);
      const runs = (await second.get('/api/runs?flowId=invoicing-collections')).body as { status: string; wakeAt?: string }[];
      expect(runs).toHaveLength(1);
      expect(runs[0]).toMatchObject({ status: 'waiting', wakeAt: '2026-03-11T00:00:00.000Z' });
    } finally {
      await second.dispose();
    }
  });
});
