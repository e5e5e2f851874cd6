// Issue 12, item 10: comma recipients. As found: `to: "{{payload.email}}"` with `victim@x, attacker@y`
// mailed both. An address an event built is exactly one address; a value holding several fails the step
// (dead, with an alert) and nothing reaches the SMTP server. Lists the owner wrote — literally in the
// flow, or in config — stay allowed in `to` and `cc`, which take several. Mail goes over real SMTP to a
// local smtp-server that records every envelope.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRuntime, type TestRuntime } from '../support/runtime.ts';
import { smtpEnv, startSmtpSink, type SmtpSink } from '../blueprints/support.ts';
import { raw, sideEffects } from './support.ts';

let rt: TestRuntime;
let smtp: SmtpSink;

const mailFlow = (id: string, params: Record<string, unknown>) => ({
  dsl: 1, id, name: id,
  trigger: { type: 'webhook', path: id, auth: { type: 'none' } },
  nodes: [{ id: 'mail', type: 'action', action: 'email.send', params: { subject: 'Thanks {{payload.name}}', text: 'We got your request.', ...params } }, { id: 'end', type: 'end' }],
  edges: [{ from: 'trigger', to: 'mail' }, { from: 'mail', to: 'end' }],
});

beforeAll(async () => {
  smtp = await startSmtpSink();
  rt = await startTestRuntime({ env: { ...smtpEnv(smtp.port), FLOWDESK_CONFIG_TEAM: 'ops@example.com, boss@example.com' } });
  for (const f of [
    mailFlow('reply', { to: '{{payload.email}}' }),
    mailFlow('reply-named', { to: '{{payload.name}} <{{payload.email}}>', replyTo: '{{payload.replyTo}}' }),
    mailFlow('reply-logic', { to: { $logic: { lower: { var: 'payload.email' } } } }),
    mailFlow('reply-and-team', { to: ['{{payload.email}}', 'owner@example.com, partner@example.com'], cc: '{{config.TEAM}}' }),
  ]) expect((await rt.put(`/api/flows/${f.id}`, f)).status).toBe(200);
});
afterAll(async () => {
  await rt?.dispose();
  await smtp?.close();
});

async function hook(path: string, payload: unknown) {
  const res = await raw(rt, { method: 'POST', path: `/hooks/${path}`, headers: { 'content-type': 'application/json' }, body: JSON.stringify(payload) });
  expect(res.status).toBe(202);
  await rt.settle();
  return (await rt.get(`/api/runs/${res.body.runId}`)).body;
}

describe('a templated recipient holding several addresses', () => {
  const attacks: [string, Record<string, unknown>, RegExp][] = [
    ['reply', { email: 'victim@example.com, attacker@evil.example' }, /^params\.to "victim@example\.com, attacker@evil\.example" holds several addresses/],
    ['reply', { email: 'victim@example.com;attacker@evil.example' }, /holds several addresses/],
    ['reply', { email: '<victim@example.com> <attacker@evil.example>' }, /holds several addresses/],
    ['reply', { email: 'victim@example.com\nattacker@evil.example' }, /holds several addresses/],
    ['reply', { email: 'victim@example.com\r\nBcc: attacker@evil.example' }, /holds several addresses/],
    ['reply', { email: ['victim@example.com', 'attacker@evil.example'] }, /is a list of 2/],
    ['reply-named', { name: 'Ada', email: 'victim@example.com>, <attacker@evil.example' }, /^params\.to /],
    ['reply-named', { name: 'Ada', email: 'ada@example.com', replyTo: 'a@example.com, attacker@evil.example' }, /^params\.replyTo /],
    ['reply-logic', { email: 'VICTIM@example.com, ATTACKER@evil.example' }, /holds several addresses/],
    ['reply-and-team', { email: 'victim@example.com, attacker@evil.example' }, /^params\.to\.0 /],
  ];

  it('fails the step with a clear error, sends nothing and keeps nothing in the outbox', async () => {
    const before = await sideEffects(rt);
    const alertsBefore = (await rt.get('/api/alerts')).body.length;
    for (const [flow, payload, error] of attacks) {
      const run = await hook(flow, { name: 'x', ...payload });
      expect(run.status, `${flow} ${JSON.stringify(payload)}`).toBe('dead');
      const step = run.steps.find((s: any) => s.nodeId === 'mail');
      expect(step.error).toMatch(error);
      expect(step.error).toMatch(/an address built from the event must be exactly one; the step sends nothing/);
      expect(step.attempts).toHaveLength(1); // not retried
    }
    expect(smtp.mails).toHaveLength(0);
    const after = await sideEffects(rt);
    expect(after).toEqual({ ...before, runs: before.runs + attacks.length });
    expect((await rt.get('/api/alerts')).body.length).toBe(alertsBefore + attacks.length);
  });
});

describe('valid traffic', () => {
  it('one templated address, with a name, or through $logic, is sent to exactly that address', async () => {
    smtp.mails.length = 0;
    expect((await hook('reply', { name: 'Ada', email: 'ada@example.com' })).status).toBe('succeeded');
    expect((await hook('reply-named', { name: 'Ada Lovelace', email: 'ada@example.com', replyTo: 'office@example.com' })).status).toBe('succeeded');
    expect((await hook('reply-logic', { name: 'Ada', email: 'ADA@Example.com' })).status).toBe('succeeded');
    expect(smtp.mails.map((m) => m.rcpt)).toEqual([['ada@example.com'], ['ada@example.com'], ['ada@example.com']]);
    expect(smtp.mails[1]!.headers['reply-to']).toBe('office@example.com');
  });
  it('lists the owner wrote (in the flow, in config) still reach everyone on them', async () => {
    smtp.mails.length = 0;
    expect((await hook('reply-and-team', { name: 'Ada', email: 'ada@example.com' })).status).toBe('succeeded');
    expect(smtp.mails).toHaveLength(1);
    expect(smtp.mails[0]!.rcpt.sort()).toEqual(['ada@example.com', 'boss@example.com', 'ops@example.com', 'owner@example.com', 'partner@example.com']);
  });
});
