// Blueprint 2 over real HTTP: a signed proposal or a Stripe payment moves the account to won; onboarding
// hangs off the record trigger on won (once per entry), e-mails the packet over real SMTP, creates tasks
// with due dates, and raises P1 alerts when the 24h packet or 48h kickoff SLA is breached.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { flowsDirWith, startTestRuntime, type TestRuntime } from '../support/runtime.ts';
import { closeEmailTransports } from '../../apps/runtime/src/actions/email.ts';
import { closedPort, DAY, HOUR, smtpEnv, startSmtpSink, stripeSignature, type RecordView, type SmtpSink } from './support.ts';

const PROPOSAL_TOKEN = 'proposal-token-0123456789';
const STRIPE_SECRET = 'whsec_test_checkout_secret';
const FLOWS = ['lead-qualification', 'proposal-signed', 'payment-received', 'client-onboarding'];
const ADA = 'ada@lovelace-labs.example';
const GRACE = 'grace@hopper-co.example';

const checkout = (id: string, email: string, company: string) => ({
  id,
  object: 'event',
  type: 'checkout.session.completed',
  data: {
    object: {
      id: `cs_${id}`,
      object: 'checkout.session',
      customer_email: null,
      customer_details: { email, name: company },
      amount_total: 300000,
      currency: 'eur',
      payment_status: 'paid',
      metadata: { company },
    },
  },
});

let smtp: SmtpSink;
let rt: TestRuntime;
const env = () => ({ ...smtpEnv(smtp.port), FLOWDESK_SECRET_PROPOSAL_HOOK_TOKEN: PROPOSAL_TOKEN, FLOWDESK_SECRET_STRIPE_CHECKOUT_SECRET: STRIPE_SECRET });
beforeAll(async () => {
  smtp = await startSmtpSink();
  rt = await startTestRuntime({ flowsDir: flowsDirWith(FLOWS), env: env() });
});
afterAll(async () => {
  await rt?.dispose();
  closeEmailTransports();
  await smtp?.close();
});

const record = async (t: TestRuntime, key: string): Promise<RecordView> => (await t.get(`/api/records/account/${encodeURIComponent(key)}`)).body;
const onboardingRuns = async (t: TestRuntime) => (await t.get('/api/runs?flowId=client-onboarding&limit=100')).body as { id: string; status: string; record: { key: string } }[];
const postStripe = (t: TestRuntime, event: object) => {
  const body = JSON.stringify(event);
  return t.post('/hooks/stripe-checkout', body, { 'stripe-signature': stripeSignature(body, STRIPE_SECRET, t.clock.now()) });
};

describe('client-onboarding blueprint', () => {
  it('signed proposal → won → onboarding packet over SMTP and three tasks with due dates', async () => {
    await rt.post('/hooks/lead', { email: ADA, name: 'Ada', company: 'Lovelace Labs', source: 'referral', budget: 12000, timeline: 'now' });
    await rt.settle();
    smtp.mails.length = 0;

    const proposal = { proposalId: 'prop-2026-014', email: ADA, name: 'Ada', company: 'Lovelace Labs', amount: 12000, currency: 'EUR' };
    expect((await rt.post('/hooks/proposal-signed', proposal, { 'x-flowdesk-token': 'wrong' })).status).toBe(401);
    const t0 = rt.clock.now();
    const res = await rt.post('/hooks/proposal-signed', proposal, { 'x-flowdesk-token': PROPOSAL_TOKEN });
    expect(res.status).toBe(202);
    await rt.settle();

    const rec = await record(rt, ADA);
    expect(rec.state).toBe('won');
    expect(rec.data).toMatchObject({ company: 'Lovelace Labs', name: 'Ada', proposalId: 'prop-2026-014', wonVia: 'proposal' });
    expect(rec.history.map((h) => h.to)).toEqual(['captured', 'qualified', 'won']);
    expect(rec.history[2]!.cause).toMatchObject({ runId: res.body.runId, nodeId: 'mark-won' });

    const runs = await onboardingRuns(rt);
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ status: 'needs_review', record: { key: ADA } });

    expect(smtp.mails).toHaveLength(1);
    const m = smtp.mails[0]!;
    expect(m.rcpt).toEqual([ADA]);
    expect(m.subject).toBe('Welcome aboard, Lovelace Labs: your onboarding packet');
    expect(m.text).toContain('Hi Ada,');
    expect(m.text).toContain(`1. Kickoff call: reply with two slots before ${new Date(t0 + 48 * HOUR).toISOString().slice(0, 16).replace('T', ' ')} UTC`);
    expect(m.text).toContain('2. Access:');

    const tasks = ((await rt.get('/api/tasks')).body as { runId: string; title: string; due: string; record: unknown }[]).filter((t) => t.runId === runs[0]!.id);
    expect(tasks.map((t) => [t.title, t.due]).sort()).toEqual(
      [
        ['Create the shared project folder for Lovelace Labs', new Date(t0 + DAY).toISOString()],
        ['Collect access and credentials from Lovelace Labs', new Date(t0 + 2 * DAY).toISOString()],
        ['Hold the kickoff call with Lovelace Labs', new Date(t0 + 48 * HOUR).toISOString()],
      ].sort(),
    );
    for (const t of tasks) expect(t.record).toEqual({ entity: 'account', key: ADA });

    // a fresh install has no sheets connection: the client row is not-configured (visible, one alert), onboarding goes on
    const run = (await rt.get(`/api/runs/${runs[0]!.id}`)).body;
    expect(run.outcome).toBe('not-configured');
    expect(run.steps.find((st: { nodeId: string }) => st.nodeId === 'client-sheet')).toMatchObject({ outcome: 'not-configured', port: 'ok' });
    const alerts = ((await rt.get('/api/alerts?flowId=client-onboarding')).body as { kind: string; nodeId?: string }[]).filter((a) => a.kind === 'not_configured');
    expect(alerts).toEqual([expect.objectContaining({ nodeId: 'client-sheet', severity: 'P1' })]);
  });

  it('the payment arriving second does not start onboarding again (the state map is the hub)', async () => {
    const forged = JSON.stringify(checkout('evt_forged', ADA, 'Lovelace Labs'));
    expect((await rt.post('/hooks/stripe-checkout', forged, { 'stripe-signature': stripeSignature(forged, 'whsec_wrong', rt.clock.now()) })).status).toBe(401);
    const res = await postStripe(rt, checkout('evt_ada_1', ADA, 'Lovelace Labs'));
    expect(res.status).toBe(202);
    await rt.settle();
    expect((await rt.get(`/api/runs/${res.body.runId}`)).body.status).toBe('succeeded');
    expect((await record(rt, ADA)).history.map((h) => h.to)).toEqual(['captured', 'qualified', 'won']);
    expect(await onboardingRuns(rt)).toHaveLength(1);
    expect(smtp.mails).toHaveLength(1);
    // a non-checkout Stripe event on this hook is ignored
    const other = await postStripe(rt, { ...checkout('evt_x', ADA, 'x'), type: 'customer.created' });
    expect(other.body).toMatchObject({ ignored: true });
  });

  it('kickoff held within 48h → in_delivery; no SLA alert', async () => {
    const [run] = await onboardingRuns(rt);
    const item = (await rt.get('/api/reviews?queue=onboarding')).body.find((x: { runId: string }) => x.runId === run!.id);
    expect(item).toMatchObject({ decisions: ['held', 'cancelled'] });
    await rt.advance(20 * HOUR);
    expect((await rt.post(`/api/reviews/${item.id}/resolve`, { decision: 'held' })).status).toBe(200);
    await rt.settle();
    const rec = await record(rt, ADA);
    expect(rec.history.map((h) => h.to)).toEqual(['captured', 'qualified', 'won', 'in_delivery']);
    expect(rec.history[3]!.cause).toMatchObject({ runId: run!.id, nodeId: 'in-delivery' });
    await rt.advance(30 * HOUR); // past both SLA deadlines
    const alerts = (await rt.get('/api/alerts?flowId=client-onboarding')).body as { runId: string; kind: string }[];
    // (the run's one not_configured alert, for the client sheet, is the first test's)
    expect(alerts.filter((a) => a.runId === run!.id && a.kind !== 'not_configured')).toEqual([]);
  });

  it('payment first for a brand-new client → won → onboarding; kickoff not held in 48h → P1 SLA alert', async () => {
    const res = await postStripe(rt, checkout('evt_grace_1', GRACE, 'Hopper & Co'));
    expect(res.status).toBe(202);
    await rt.settle();
    const rec = await record(rt, GRACE);
    expect(rec.history.map((h) => [h.from, h.to])).toEqual([[null, 'won']]);
    expect(rec.data).toMatchObject({ company: 'Hopper & Co', paidAmount: 3000, wonVia: 'payment' });
    const run = (await onboardingRuns(rt)).find((r) => r.record.key === GRACE)!;
    expect(smtp.mails.filter((m) => m.rcpt.includes(GRACE)).map((m) => m.subject)).toEqual(['Welcome aboard, Hopper & Co: your onboarding packet']);

    await rt.advance(47 * HOUR);
    expect(((await rt.get('/api/alerts?flowId=client-onboarding')).body as { runId: string }[]).filter((a) => a.runId === run.id)).toEqual([]);
    await rt.advance(2 * HOUR);
    const alerts = ((await rt.get('/api/alerts?flowId=client-onboarding')).body as { runId: string; kind: string; severity: string; message: string; nodeId?: string }[]).filter((a) => a.runId === run.id);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ kind: 'sla_breach', severity: 'P1' });
    expect(alerts[0]!.message).toContain(`account ${GRACE} not in_delivery within 48h`);
    expect(alerts[0]!.nodeId).toBeUndefined(); // the packet went out in time: only the kickoff SLA breached
  });
});

describe('client-onboarding when SMTP is down', () => {
  it('the packet is retried, goes to a by-hand review, and the 24h packet SLA raises a P1 alert', async () => {
    const down = await startTestRuntime({ flowsDir: flowsDirWith(FLOWS), env: { ...env(), FLOWDESK_SMTP_PORT: String(await closedPort()) } });
    try {
      expect((await down.post(`/api/records/account/${encodeURIComponent(ADA)}/state`, { state: 'won', data: { company: 'Lovelace Labs', name: 'Ada' } })).status).toBe(200);
      await down.settle();
      const [run] = await onboardingRuns(down);
      let r = (await down.get(`/api/runs/${run!.id}`)).body;
      expect(r.status).toBe('waiting');
      const packet = () => r.steps.find((s: { nodeId: string }) => s.nodeId === 'packet');
      expect(packet().attempts[0]).toMatchObject({ errorClass: 'network' });
      for (let h = 0; h < 23; h++) await down.advance(HOUR);
      r = (await down.get(`/api/runs/${run!.id}`)).body;
      // 1m, 5m, 30m, 2h, 6h, 12h: seven attempts, then the error port → the by-hand review
      expect(packet().attempts).toHaveLength(7);
      expect(packet().status).toBe('failed');
      expect(r.status).toBe('needs_review');
      const review = (await down.get('/api/reviews?queue=onboarding')).body.find((x: { runId: string }) => x.runId === run!.id);
      expect(review).toMatchObject({ title: 'Onboarding packet not sent: send it by hand', decisions: ['sent'] });
      const before = ((await down.get('/api/alerts?flowId=client-onboarding')).body as { kind: string }[]).filter((a) => a.kind === 'sla_breach');
      expect(before).toEqual([]);
      await down.advance(2 * HOUR); // 25h after the win
      const sla = ((await down.get('/api/alerts?flowId=client-onboarding')).body as { runId: string; kind: string; severity: string; nodeId?: string; message: string }[]).filter((a) => a.kind === 'sla_breach');
      expect(sla).toHaveLength(1);
      expect(sla[0]).toMatchObject({ runId: run!.id, nodeId: 'packet', severity: 'P1' });
      expect(sla[0]!.message).toContain('node packet not done within 24h');
    } finally {
      await down.dispose();
    }
  });
});
