// Blueprint 3 over real HTTP: milestone changes scored for risk; above the threshold a P1 alert, a client
// update drafted by text.generate and checked by qa (a failure goes to review, never out), an escalation
// review; a completed milestone e-mails the client; the weekly status frame runs on its schedule.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { flowsDirWith, startTestRuntime, type TestRuntime } from '../support/runtime.ts';
import { closeEmailTransports } from '../../apps/runtime/src/actions/email.ts';
import { smtpEnv, startSmtpSink, type RecordView, type SmtpSink } from './support.ts';

const TOKEN = 'delivery-hook-token-0123456789';
const ADA = 'ada@lovelace-labs.example';
const FLOWS = ['delivery-ops', 'delivery-weekly-status'];

let smtp: SmtpSink;
let rt: TestRuntime;
beforeAll(async () => {
  smtp = await startSmtpSink();
  rt = await startTestRuntime({
    flowsDir: flowsDirWith(FLOWS),
    env: { ...smtpEnv(smtp.port), FLOWDESK_SECRET_DELIVERY_HOOK_TOKEN: TOKEN, FLOWDESK_CONFIG_OWNER_EMAIL: 'owner@flowdesk.test' },
  });
  // a won account with its company name (as the proposal/payment hooks leave it)
  await rt.post(`/api/records/account/${encodeURIComponent(ADA)}/state`, { state: 'won', data: { company: 'Lovelace Labs', name: 'Ada' } });
});
afterAll(async () => {
  await rt?.dispose();
  closeEmailTransports();
  await smtp?.close();
});

const milestone = (t: TestRuntime, body: object) => t.post('/hooks/milestone', body, { 'x-flowdesk-token': TOKEN });
const run = async (t: TestRuntime, id: string) => (await t.get(`/api/runs/${id}`)).body;
const step = (r: { steps: { nodeId: string }[] }, id: string) => r.steps.find((s) => s.nodeId === id) as any;

describe('delivery-ops blueprint', () => {
  it('late milestone, unhappy client: risk 95 ≥ 60 → P1 alert, QA-checked update e-mailed, escalation review; account in_delivery', async () => {
    expect((await rt.post('/hooks/milestone', { account: ADA, milestone: 'Data model', status: 'late' }, { 'x-flowdesk-token': 'wrong' })).status).toBe(401);
    const res = await milestone(rt, {
      eventId: 'pm-evt-101',
      account: ADA,
      milestone: 'Data model',
      status: 'late',
      overdueTasks: 3,
      note: 'The data export from the old system arrived two weeks late.',
      clientSignals: { sentiment: 'negative', missedMeetings: 1, scopeChanges: 0, daysSinceClientReply: 2 },
    });
    expect(res.status).toBe(202);
    await rt.settle();
    const r = await run(rt, res.body.runId);
    expect(r.vars.risk).toBe(95);
    expect(r.status).toBe('needs_review');
    expect(r.steps.map((s: { nodeId: string }) => s.nodeId)).toEqual([
      'delivery-started',
      'start-delivery',
      'risk',
      'risk-route',
      'escalation-alert',
      'draft-update',
      'qa-update',
      'send-update',
      'escalation-review',
    ]);
    expect(step(r, 'qa-update')).toMatchObject({ port: 'pass', output: { pass: true, failures: [] } });

    const rec: RecordView = (await rt.get(`/api/records/account/${encodeURIComponent(ADA)}`)).body;
    expect(rec.history.map((h) => h.to)).toEqual(['won', 'in_delivery']);
    expect(rec.history[1]!.cause).toMatchObject({ runId: r.id, nodeId: 'start-delivery' });

    const alerts = (await rt.get('/api/alerts?flowId=delivery-ops')).body;
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ kind: 'delivery_risk', severity: 'P1', runId: r.id });
    expect(alerts[0].message).toContain('Delivery risk 95 (threshold 60) for Lovelace Labs');

    expect(smtp.mails).toHaveLength(1);
    const m = smtp.mails[0]!;
    expect(m.rcpt).toEqual([ADA]);
    expect(m.subject).toBe('Lovelace Labs: update on Data model');
    expect(m.text).toContain('A quick update on the Lovelace Labs project, which is in delivery');
    expect(m.text).toContain('The data export from the old system arrived two weeks late.');

    const review = (await rt.get('/api/reviews?queue=delivery')).body.find((x: { runId: string }) => x.runId === r.id);
    expect(review).toMatchObject({ title: 'Delivery at risk: run the escalation playbook', decisions: ['resolved'] });
    expect((await rt.post(`/api/reviews/${review.id}/resolve`, { decision: 'resolved' })).status).toBe(200);
    await rt.settle();
    expect((await run(rt, r.id)).status).toBe('succeeded');
  });

  it('an update that fails QA (a banned promise) goes to review and is never sent', async () => {
    const sent = smtp.mails.length;
    const res = await milestone(rt, {
      eventId: 'pm-evt-102',
      account: ADA,
      milestone: 'Dashboards',
      status: 'at_risk',
      overdueTasks: 2,
      note: 'We guarantee the dashboards will be live next week.',
      clientSignals: { sentiment: 'negative', scopeChanges: 1, daysSinceClientReply: 9 },
    });
    await rt.settle();
    const r = await run(rt, res.body.runId);
    expect(r.vars.risk).toBe(80);
    expect(step(r, 'qa-update').port).toBe('fail');
    expect(step(r, 'qa-update').output.failures).toEqual([{ check: 'policy', message: expect.stringContaining('banned term "guarantee" found') }]);
    expect(r.steps.map((s: { nodeId: string }) => s.nodeId)).not.toContain('send-update');
    expect(smtp.mails.length).toBe(sent);
    const review = (await rt.get('/api/reviews?queue=delivery')).body.find((x: { runId: string }) => x.runId === r.id);
    expect(review).toMatchObject({ nodeId: 'qa-review', title: 'The drafted client update failed QA: fix it and send it by hand' });
    // after the by-hand send, the escalation playbook still opens
    await rt.post(`/api/reviews/${review.id}/resolve`, { decision: 'sent-by-hand' });
    await rt.settle();
    const next = (await rt.get('/api/reviews?queue=delivery')).body.find((x: { runId: string }) => x.runId === r.id);
    expect(next).toMatchObject({ nodeId: 'escalation-review' });
    expect((await rt.get('/api/alerts?flowId=delivery-ops')).body).toHaveLength(2);
  });

  it('a completed milestone e-mails the client; an on-track one only logs', async () => {
    const done = await milestone(rt, { eventId: 'pm-evt-103', account: ADA, milestone: 'Kickoff and access', status: 'done', overdueTasks: 0, clientSignals: { sentiment: 'positive' } });
    const ok = await milestone(rt, { eventId: 'pm-evt-104', account: ADA, milestone: 'Data model', status: 'on_track', overdueTasks: 1, clientSignals: { sentiment: 'neutral' } });
    await rt.settle();
    expect((await run(rt, done.body.runId)).status).toBe('succeeded');
    const onTrack = await run(rt, ok.body.runId);
    expect(onTrack.vars.risk).toBe(15);
    expect(onTrack.steps.at(-1).nodeId).toBe('on-track');
    expect(smtp.mails.at(-1)).toMatchObject({ subject: 'Lovelace Labs: milestone "Kickoff and access" is done', rcpt: [ADA] });
    expect(smtp.mails.at(-1)!.text).toContain('Good news');
    // the account stays in delivery (no re-entry)
    expect((await rt.get(`/api/records/account/${encodeURIComponent(ADA)}`)).body.history.map((h: { to: string }) => h.to)).toEqual(['won', 'in_delivery']);
  });

  it('weekly status frame: Monday 08:00 Europe/London e-mails the owner and creates the review task', async () => {
    // the test clock starts Monday 2026-03-02 09:00Z; the next slot is Monday 2026-03-09 08:00 London (= 08:00Z, before BST)
    rt.clock.set('2026-03-09T07:59:00.000Z');
    await rt.settle();
    expect(smtp.mails.filter((m) => m.rcpt.includes('owner@flowdesk.test'))).toHaveLength(0);
    await rt.advance(60_000);
    const frames = smtp.mails.filter((m) => m.rcpt.includes('owner@flowdesk.test'));
    expect(frames).toHaveLength(1);
    expect(frames[0]!.subject).toBe('Weekly delivery status frame (2026-03-09T08:00:00.000Z)');
    expect(frames[0]!.text).toContain('1. Accounts in delivery');
    expect(frames[0]!.text).toContain('3. Risks at or above 60');
    const task = (await rt.get('/api/tasks')).body.find((t: { flowId: string }) => t.flowId === 'delivery-weekly-status');
    expect(task).toMatchObject({ title: 'Weekly delivery review (2026-03-09T08:00:00.000Z)', due: '2026-03-09T12:00:00.000Z' });
  });
});

describe('delivery-ops with an OpenAI-compatible endpoint configured', () => {
  let llm: Server;
  let reply = '';
  const prompts: string[] = [];
  beforeAll(async () => {
    llm = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        prompts.push(JSON.parse(body).messages.at(-1).content);
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ model: 'fake-1', choices: [{ message: { role: 'assistant', content: reply } }], usage: { total_tokens: 42 } }));
      });
    });
    await new Promise<void>((ok) => llm.listen(0, '127.0.0.1', ok));
  });
  afterAll(async () => {
    llm.closeAllConnections();
    await new Promise<void>((ok) => llm.close(() => ok()));
  });

  it('a generated update naming another stage fails the context check and goes to review', async () => {
    const url = `http://127.0.0.1:${(llm.address() as AddressInfo).port}/v1`;
    const t = await startTestRuntime({
      flowsDir: flowsDirWith(['delivery-ops']),
      env: { ...smtpEnv(smtp.port), FLOWDESK_SECRET_DELIVERY_HOOK_TOKEN: TOKEN, FLOWDESK_OPENAI_URL: url, FLOWDESK_OPENAI_MODEL: 'fake-1' },
    });
    try {
      await t.post(`/api/records/account/${encodeURIComponent(ADA)}/state`, { state: 'won', data: { company: 'Lovelace Labs', name: 'Ada' } });
      reply = 'Hi Ada, the Lovelace Labs project is nearly finished and everything is fine.';
      const sent = smtp.mails.length;
      const res = await milestone(t, { eventId: 'llm-1', account: ADA, milestone: 'Data model', status: 'late', overdueTasks: 4, clientSignals: { sentiment: 'negative' } });
      await t.settle();
      const r = await run(t, res.body.runId);
      expect(prompts.at(-1)).toContain('Lovelace Labs');
      expect(step(r, 'draft-update').output).toMatchObject({ source: 'endpoint', model: 'fake-1', text: reply });
      expect(step(r, 'qa-update').output.failures).toEqual([{ check: 'context', message: 'output does not name the current stage "in_delivery"' }]);
      expect(smtp.mails.length).toBe(sent);
      expect((await t.get('/api/reviews?queue=delivery')).body.map((x: { nodeId: string }) => x.nodeId)).toEqual(['qa-review']);
    } finally {
      await t.dispose();
    }
  });
});
