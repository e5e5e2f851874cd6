// The lead-inbox blueprint with lead-qualification: leads from an HTML form (posted to /hooks/lead,
// form-encoded) and from an inbox (a real Dovecot on loopback) both become lead-qualification runs,
// each admitted once by its dedupe key (the form: the lead's address; the inbox: the Message-ID, then
// the address again in lead-qualification). On a fresh install, without the mailbox settings, the inbox
// trigger is not configured: it reads nothing, fails nothing and alerts nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ManualClock } from '../../apps/runtime/src/index.ts';
import { FLOWS_DIR, flowsDirWith, flowsDirWithDocs, startTestRuntime, tempDir, type TestRuntime } from '../support/runtime.ts';
import { rfc822, startImapServer, type ImapServer } from '../support/imap-server.ts';
import { send } from '../inbound/support.ts';

const PASS = 'leads-pass-4Tq';
const T0 = Math.floor(Date.now() / 1000) * 1000; // IMAP keeps arrival times in whole seconds
let imap: ImapServer;
const runtimes: TestRuntime[] = [];
const dirs: string[] = [];

beforeAll(async () => {
  imap = await startImapServer({ leads: PASS });
}, 30_000);
afterAll(async () => {
  for (const rt of runtimes) await rt.close().catch(() => {});
  await imap?.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const shipped = (id: string) => JSON.parse(readFileSync(join(FLOWS_DIR, `${id}.json`), 'utf8')) as { id: string; trigger: Record<string, unknown> } & Record<string, unknown>;
const runsOf = async (rt: TestRuntime, flowId: string) => (await rt.get(`/api/runs?flowId=${flowId}&limit=100`)).body as any[];
const full = async (rt: TestRuntime, id: string) => (await rt.get(`/api/runs/${id}`)).body;
const triggerState = (rt: TestRuntime) => rt.store.getDoc('settings', 'trigger-state:lead-inbox') as Promise<any>;

async function deliver(m: Parameters<typeof rfc822>[0], at: number) {
  const c = await imap.client('leads', PASS);
  try {
    await c.append('INBOX', rfc822(m), [], new Date(at));
  } finally {
    await c.logout();
  }
}

describe('lead-inbox blueprint', () => {
  it('on a fresh install: deploys, its inbox is not configured (no read, no failure, no alert), and a form lead runs once', { timeout: 60_000 }, async () => {
    const dataDir = tempDir();
    const flowsDir = flowsDirWith(['lead-qualification', 'lead-inbox']);
    dirs.push(dataDir, flowsDir);
    const rt = await startTestRuntime({ dataDir, flowsDir });
    runtimes.push(rt);
    await rt.settle();
    const flows = (await rt.get('/api/flows')).body as { id: string; active: boolean }[];
    expect(flows.find((f) => f.id === 'lead-inbox')).toMatchObject({ active: true });
    expect(await triggerState(rt)).toMatchObject({ failures: 0, notConfigured: expect.stringContaining('config LEADS_IMAP_HOST is not set (FLOWDESK_CONFIG_LEADS_IMAP_HOST)') });
    expect(rt.ctx.pollers.idleStatus('lead-inbox')).toBeUndefined(); // no IMAP session either

    const form = new URLSearchParams({ email: 'ada@lovelace-labs.example', name: 'Ada', company: 'Lovelace Labs', source: 'form', budget: '12000', timeline: 'now', message: 'We need our onboarding rebuilt this month, can you help?' });
    const res = await send(rt, '/hooks/lead', form.toString(), { 'content-type': 'application/x-www-form-urlencoded' });
    expect(res.status, res.text).toBe(202);
    const again = await send(rt, '/hooks/lead', form.toString(), { 'content-type': 'application/x-www-form-urlencoded' });
    expect(again.body).toEqual({ runId: res.body.runId, duplicate: true });
    await rt.settle();
    const lead = await full(rt, res.body.runId);
    expect(lead).toMatchObject({ status: 'succeeded', payload: { email: 'ada@lovelace-labs.example', budget: 12000, source: 'form' } });
    expect((await rt.get('/api/records/account/ada@lovelace-labs.example')).body.state).toBe('qualified');
    expect(await runsOf(rt, 'lead-qualification')).toHaveLength(1);

    // time passes: still nothing read, nothing failed, nothing raised
    for (let i = 0; i < 4; i++) await rt.advance(60_000);
    expect(await runsOf(rt, 'lead-inbox')).toEqual([]);
    expect((await triggerState(rt)).failures).toBe(0);
    expect(((await rt.get('/api/alerts')).body as { kind: string }[]).filter((a) => a.kind === 'trigger_failing')).toEqual([]);
  });

  it('with the mailbox set: a mail makes one lead run; its redelivery nothing; a second mail from that lead the same day no second lead', { timeout: 60_000 }, async () => {
    const dataDir = tempDir();
    // as shipped, pointed at the loopback Dovecot: its port, and no TLS (it has none; allowed for this machine only)
    const inbox = shipped('lead-inbox');
    const flowsDir = flowsDirWithDocs([shipped('lead-qualification'), { ...inbox, trigger: { ...inbox.trigger, port: imap.port, tls: 'none' } }]);
    dirs.push(dataDir, flowsDir);
    const env = { FLOWDESK_CONFIG_LEADS_IMAP_HOST: '127.0.0.1', FLOWDESK_CONFIG_LEADS_IMAP_USER: 'leads', FLOWDESK_SECRET_LEADS_IMAP_PASSWORD: PASS };
    const rt = await startTestRuntime({ dataDir, flowsDir, env, clock: new ManualClock(T0) });
    runtimes.push(rt);
    await rt.settle(); // switched on: the first read (nothing yet)
    expect((await triggerState(rt)).notConfigured).toBeUndefined();

    const text = 'Hi, we need our website rebuilt this quarter. Budget around 8k. Can we talk?';
    const mail = { from: 'Grace Hopper <Grace@Hopper-Systems.example>', to: 'leads@example.com', subject: 'Quote for a website rebuild', text, messageId: '<q1@hopper-systems.example>' };
    await deliver(mail, T0 + 1000);
    await rt.advance(60_000);
    const inboxRuns = await runsOf(rt, 'lead-inbox');
    expect(inboxRuns).toHaveLength(1);
    const handed = await full(rt, inboxRuns[0].id);
    expect(handed).toMatchObject({ status: 'succeeded', idempotencyKey: '<q1@hopper-systems.example>' });
    const leadRunId = handed.steps.find((s: { nodeId: string }) => s.nodeId === 'to-lead').output.runId;
    const lead = await full(rt, leadRunId);
    expect(lead).toMatchObject({ flowId: 'lead-qualification', status: 'succeeded', idempotencyKey: 'grace@hopper-systems.example', payload: { email: 'grace@hopper-systems.example', name: 'Grace Hopper', source: 'other' } });
    expect(lead.payload.message.trim()).toBe(text);
    expect((await rt.get('/api/records/account/grace@hopper-systems.example')).body.state).toBeTruthy(); // captured and scored

    // the same message delivered again (a forward loop, a re-sync): no second run anywhere
    await deliver(mail, T0 + 70_000);
    // the same lead writes again the same day: its own inbox run, but still one lead
    await deliver({ ...mail, subject: 'Re: Quote', messageId: '<q2@hopper-systems.example>' }, T0 + 80_000);
    // mail without a sender address is not a lead
    await deliver({ ...mail, from: 'undisclosed-recipients:;', messageId: '<q3@hopper-systems.example>' }, T0 + 90_000);
    await rt.advance(60_000);
    const after = await runsOf(rt, 'lead-inbox');
    expect(after.map((r) => r.idempotencyKey).sort()).toEqual(['<q1@hopper-systems.example>', '<q2@hopper-systems.example>']);
    const second = await full(rt, after.find((r) => r.idempotencyKey === '<q2@hopper-systems.example>').id);
    expect(second.steps.find((s: { nodeId: string }) => s.nodeId === 'to-lead').output).toEqual({ runId: leadRunId, duplicate: true });
    expect((await runsOf(rt, 'lead-qualification')).map((r) => r.id)).toEqual([leadRunId]);
  });
});
