// Blueprint 1 over real HTTP: lead-qualification with a real SMTP server on loopback and a hand-moved clock.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { flowsDirWith, startTestRuntime, type TestRuntime } from '../support/runtime.ts';
import { closeEmailTransports } from '../../apps/runtime/src/actions/email.ts';
import { DAY, HOUR, smtpEnv, startSmtpSink, type RecordView, type SmtpSink } from './support.ts';
import { startFakeSlack } from '../support/fakes/slack.ts';

const HIGH = { email: 'ada@lovelace-labs.example', name: 'Ada', company: 'Lovelace Labs', source: 'referral', budget: 12000, timeline: 'now', message: 'We need a data pipeline rebuilt before our Q3 launch.' };
const MIDDLE = { email: 'grace@hopper-co.example', name: 'Grace', company: 'Hopper & Co', source: 'form', budget: 5000, timeline: 'quarter' };
const LOW = { email: 'sam@example.org', source: 'other', budget: 300, timeline: 'later' };

let smtp: SmtpSink;
let rt: TestRuntime;
beforeAll(async () => {
  smtp = await startSmtpSink();
  rt = await startTestRuntime({ flowsDir: flowsDirWith(['lead-qualification']), env: smtpEnv(smtp.port) });
});
afterAll(async () => {
  await rt?.dispose();
  closeEmailTransports();
  await smtp?.close();
});

const record = async (key: string): Promise<RecordView> => (await rt.get(`/api/records/account/${encodeURIComponent(key)}`)).body;
const run = async (id: string) => (await rt.get(`/api/runs/${id}`)).body;
const mailsTo = (addr: string) => smtp.mails.filter((m) => m.rcpt.includes(addr));

describe('lead-qualification blueprint', () => {
  it('high fit: a fast-response e-mail within the same minute, account captured → qualified', async () => {
    const t0 = rt.clock.now();
    const res = await rt.post('/hooks/lead', HIGH);
    expect(res.status).toBe(202);
    await rt.settle();
    const r = await run(res.body.runId);
    expect(r.status).toBe('succeeded');
    expect(r.vars).toMatchObject({ fit: 95, urgency: 100, sourceTag: 'source:referral' });
    expect(r.steps.map((s: { nodeId: string }) => s.nodeId)).toEqual(['check-record', 'capture', 'tag', 'score', 'qualify', 'fast-response', 'notify-slack', 'qualified']);
    // a fresh install has no Slack connection: the post is passed over and says so, never a success
    expect(r.outcome).toBe('not-configured');
    expect(r.steps.find((s: { nodeId: string }) => s.nodeId === 'notify-slack')).toMatchObject({ status: 'skipped', outcome: 'not-configured', error: expect.stringContaining('connection "slack" does not exist') });

    const mails = mailsTo(HIGH.email);
    expect(mails).toHaveLength(1);
    const m = mails[0]!;
    expect(m.to).toBe(HIGH.email);
    expect(m.subject).toBe('Thanks Ada: next steps for Lovelace Labs');
    expect(m.text).toContain('Thanks for reaching out about Lovelace Labs');
    expect(m.text).toContain('What you told us: timeline now, budget 12000.');
    expect(m.headers['x-flowdesk-idempotency-key']).toBe(`${r.id}:fast-response`);
    const sendStep = r.steps.find((s: { nodeId: string }) => s.nodeId === 'fast-response');
    expect(sendStep.output).toMatchObject({ transport: 'smtp', accepted: [HIGH.email] });
    expect(m.headers['message-id']).toBe(sendStep.output.messageId);
    expect(Date.parse(sendStep.endedAt) - t0).toBeLessThan(60_000);

    const rec = await record(HIGH.email);
    expect(rec.state).toBe('qualified');
    expect(rec.data).toMatchObject({ company: 'Lovelace Labs', name: 'Ada', source: 'referral' });
    expect(rec.history.map((h) => [h.from, h.to, h.cause.runId, h.cause.nodeId])).toEqual([
      [null, 'captured', r.id, 'capture'],
      ['captured', 'qualified', r.id, 'qualified'],
    ]);
    // with SMTP set, nothing goes to the outbox
    expect((await rt.get('/api/outbox')).body).toEqual([]);
  });

  it('the same lead again within 24h is a duplicate: no second e-mail', async () => {
    const res = await rt.post('/hooks/lead', HIGH);
    expect(res.status).toBe(200);
    expect(res.body.duplicate).toBe(true);
    await rt.settle();
    expect(mailsTo(HIGH.email)).toHaveLength(1);
  });

  it('middle fit: a review item in the leads queue; approved → qualified, no e-mail sent', async () => {
    const res = await rt.post('/hooks/lead', MIDDLE);
    await rt.settle();
    expect((await run(res.body.runId)).status).toBe('needs_review');
    expect((await run(res.body.runId)).vars.fit).toBe(55);
    const item = (await rt.get('/api/reviews?queue=leads')).body.find((x: { runId: string }) => x.runId === res.body.runId);
    expect(item).toMatchObject({ queue: 'leads', decisions: ['approved', 'rejected'], title: `Review lead ${MIDDLE.email}: fit 55 (between 40 and 69)` }); // names the lead (issue 14, item 11)
    expect(item.sop.length).toBeGreaterThan(0);
    expect((await record(MIDDLE.email)).state).toBe('captured');
    expect((await rt.post(`/api/reviews/${item.id}/resolve`, { decision: 'approved' })).status).toBe(200);
    await rt.settle();
    expect((await run(res.body.runId)).status).toBe('succeeded');
    expect((await record(MIDDLE.email)).history.map((h) => h.to)).toEqual(['captured', 'qualified']);
    expect(mailsTo(MIDDLE.email)).toHaveLength(0);
  });

  it('low fit: a nurture e-mail and a follow-up task due in 30 days; account disqualified', async () => {
    const now = rt.clock.now();
    const res = await rt.post('/hooks/lead', LOW);
    await rt.settle();
    const r = await run(res.body.runId);
    expect(r.status).toBe('succeeded');
    const mails = mailsTo(LOW.email);
    expect(mails).toHaveLength(1);
    expect(mails[0]!.subject).toBe('Thanks for getting in touch');
    expect(mails[0]!.text).toContain('Hi there,');
    const task = (await rt.get('/api/tasks')).body.find((t: { runId: string }) => t.runId === r.id);
    expect(task).toMatchObject({
      title: 'Nurture: check back with sam@example.org (source:other, fit 0)',
      due: new Date(now + 30 * DAY).toISOString(),
      owner: 'founder',
      record: { entity: 'account', key: LOW.email },
      status: 'open',
    });
    expect((await record(LOW.email)).history.map((h) => h.to)).toEqual(['captured', 'disqualified']);
  });

  it('an account already won is not re-qualified when the person fills the form again', async () => {
    expect((await rt.post(`/api/records/account/${encodeURIComponent(HIGH.email)}/state`, { state: 'won' })).status).toBe(200);
    await rt.advance(25 * HOUR); // past the 24h dedupe window
    const before = mailsTo(HIGH.email).length;
    const res = await rt.post('/hooks/lead', { ...HIGH, message: 'Question about our invoice' });
    expect(res.status).toBe(202);
    await rt.settle();
    const r = await run(res.body.runId);
    expect(r.status).toBe('succeeded');
    expect(r.steps.map((s: { nodeId: string }) => s.nodeId)).toEqual(['check-record', 'existing-client-task', 'existing']);
    expect((await record(HIGH.email)).state).toBe('won');
    expect(mailsTo(HIGH.email)).toHaveLength(before);
    const task = (await rt.get('/api/tasks')).body.find((t: { runId: string }) => t.runId === r.id);
    expect(task.title).toBe(`${HIGH.email} wrote in through the lead form again (account won)`);
  });
});

describe('lead-qualification on a fresh install (no configuration)', () => {
  it('runs end to end with the e-mail in the local outbox', async () => {
    const fresh = await startTestRuntime({ flowsDir: flowsDirWith(['lead-qualification']), env: {} });
    try {
      const before = smtp.mails.length;
      const res = await fresh.post('/hooks/lead', HIGH);
      await fresh.settle();
      expect((await fresh.get(`/api/runs/${res.body.runId}`)).body.status).toBe('succeeded');
      const outbox = (await fresh.get('/api/outbox')).body;
      expect(outbox).toHaveLength(1);
      expect(outbox[0]).toMatchObject({ to: [HIGH.email], subject: 'Thanks Ada: next steps for Lovelace Labs', runId: res.body.runId, nodeId: 'fast-response' });
      expect(smtp.mails.length).toBe(before);
      expect((await fresh.get(`/api/records/account/${encodeURIComponent(HIGH.email)}`)).body.state).toBe('qualified');
      // the Slack post did not happen and the flow says so: its banner data, one P1 alert
      expect((await fresh.get('/api/connection-usage?flowId=lead-qualification')).body).toEqual([
        { flowId: 'lead-qualification', nodeId: 'notify-slack', action: 'slack.postMessage', connection: 'slack', status: 'missing' },
      ]);
      const alerts = (await fresh.get('/api/alerts')).body.filter((a: { kind: string }) => a.kind === 'not_configured');
      expect(alerts).toEqual([expect.objectContaining({ flowId: 'lead-qualification', nodeId: 'notify-slack', severity: 'P1' })]);
    } finally {
      await fresh.dispose();
    }
  });

  it('with a Slack connection the hot lead is posted to #leads', async () => {
    const slack = await startFakeSlack();
    slack.tokens.add('xoxb-blueprint-token');
    const rt2 = await startTestRuntime({ flowsDir: flowsDirWith(['lead-qualification']), env: {} });
    try {
      expect((await rt2.post('/api/connections', { id: 'slack', app: 'slack', name: 'Slack', auth: { type: 'bearer', token: 'xoxb-blueprint-token' }, baseUrl: slack.url })).status).toBe(201);
      const res = await rt2.post('/hooks/lead', HIGH);
      await rt2.settle();
      const r = (await rt2.get(`/api/runs/${res.body.runId}`)).body;
      expect(r.status).toBe('succeeded');
      expect(r.outcome).toBeUndefined();
      expect(slack.requests).toHaveLength(1);
      expect(slack.requests[0]!.body).toEqual({ channel: '#leads', text: `Hot lead: Ada <${HIGH.email}> at Lovelace Labs (fit 95, source:referral). The fast-response e-mail is out.` });
      expect(r.steps.find((s: { nodeId: string }) => s.nodeId === 'notify-slack').output).toEqual({ channel: 'C0LEADS', ts: expect.any(String) });
    } finally {
      await rt2.dispose();
      await slack.close();
    }
  });
});
