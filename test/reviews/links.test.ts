// Review decision links over real HTTP: a notification to the alert webhook and FLOWDESK_ALERT_EMAIL
// (a local SMTP server) carries one signed link per decision on FLOWDESK_PUBLIC_URL; GET only shows a
// confirmation page, POST decides, once; forged, expired and spent links are refused; the admin token
// is not needed; a review's timeout takes its default decision, also across a restart.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../apps/runtime/src/index.ts';
import { smtpEnv, startSmtpSink, type SmtpSink } from '../blueprints/support.ts';
import { startTestRuntime, tempDir, type TestRuntime } from '../support/runtime.ts';
import { approvalFlow, linksIn } from './approval-flow.ts';

const TOKEN = 'admin-token-for-tests';
const auth = { authorization: `Bearer ${TOKEN}` };
let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c().catch(() => undefined);
  cleanup = [];
});

async function webhookSink(): Promise<{ url: string; bodies: { text: string }[] }> {
  const bodies: { text: string }[] = [];
  const server: Server = createServer((req, res) => {
    let b = '';
    req.on('data', (c: Buffer) => (b += c.toString()));
    req.on('end', () => {
      bodies.push(JSON.parse(b) as { text: string });
      res.end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanup.push(() => new Promise<void>((r) => server.close(() => r())));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/alerts`, bodies };
}

async function setup(flow = approvalFlow(), dataDir = tempDir(), clock = new ManualClock(Date.parse('2026-03-02T09:00:00.000Z'))) {
  const smtp: SmtpSink = await startSmtpSink();
  cleanup.push(() => smtp.close());
  const hook = await webhookSink();
  const env = { ...smtpEnv(smtp.port), FLOWDESK_ALERT_EMAIL: 'founder@example.com', FLOWDESK_ALERT_WEBHOOK_URL: hook.url, FLOWDESK_ADMIN_TOKEN: TOKEN, FLOWDESK_PUBLIC_URL: 'https://flows.example.com/' };
  const rt: TestRuntime = await startTestRuntime({ env, dataDir, clock });
  let open = true;
  cleanup.push(async () => {
    if (open) await rt.close();
  });
  expect((await putFlow(rt, flow)).status).toBe(200);
  return { rt, smtp, hook, env, dataDir, clock, close: async () => ((open = false), await rt.close()) };
}

async function putFlow(rt: TestRuntime, flow: unknown): Promise<{ status: number; body: { errors?: unknown[] } }> {
  const res = await fetch(`${rt.url}/api/flows/approvals`, { method: 'PUT', headers: { 'content-type': 'application/json', ...auth }, body: JSON.stringify(flow) });
  return { status: res.status, body: (await res.json()) as { errors?: unknown[] } };
}

/** A public link rewritten to reach the test runtime (FLOWDESK_PUBLIC_URL names the outside address). */
const local = (rt: TestRuntime, link: string) => link.replace('https://flows.example.com', rt.url);
const lead = { email: 'ada@example.com', company: 'Analytical Engines' };

describe('review links', { timeout: 60_000 }, () => {
  it('notifies by e-mail and webhook with one link per decision; GET asks, POST decides once, without the admin token', async () => {
    const { rt, smtp, hook } = await setup();
    const { body } = await rt.post('/hooks/approvals', lead);
    await rt.settle();
    const mail = smtp.mails.find((m) => m.rcpt.includes('founder@example.com'))!;
    expect(mail.subject).toContain('Take on Analytical Engines (ada@example.com)?');
    const links = linksIn(mail.text);
    expect(Object.keys(links).sort()).toEqual(['approved', 'rejected']);
    expect(links.approved).toMatch(/^https:\/\/flows\.example\.com\/r\/[\w-]+\.[\w-]+$/);
    expect(linksIn(hook.bodies[0]!.text)).toEqual(links);
    const [review] = (await rt.get('/api/reviews', auth)).body as { id: string; notified: { channel: string; ok: boolean }[] }[];
    expect(review!.notified.map((n) => [n.channel, n.ok]).sort()).toEqual([
      ['email', true],
      ['webhook', true],
    ]);

    // GET (what a mail scanner does) decides nothing, on any Host
    const page = await fetch(local(rt, links.approved!), { headers: { host: 'flows.example.com' } });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('Confirm: approved');
    expect((await rt.get(`/api/runs/${body.runId}`, auth)).body.status).toBe('needs_review');

    const decided = await fetch(local(rt, links.approved!), { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: '' });
    expect(decided.status).toBe(200);
    await rt.settle();
    const run = (await rt.get(`/api/runs/${body.runId}`, auth)).body;
    expect(run.status).toBe('succeeded');
    expect(run.steps.map((s: { nodeId: string }) => s.nodeId)).toEqual(['decide', 'welcome', 'done']);
    const item = (await rt.get('/api/reviews?status=all', auth)).body[0];
    expect(item).toMatchObject({ status: 'resolved', decision: 'approved', resolvedBy: 'link' });
    expect(smtp.mails.filter((m) => m.rcpt.includes('ada@example.com'))).toHaveLength(1);

    // spent: the same link and the other decision's link are refused, and nothing runs twice
    for (const l of [links.approved!, links.rejected!]) {
      const again = await fetch(local(rt, l), { method: 'POST' });
      expect(again.status).toBe(410);
      expect(await again.text()).toContain('already decided: approved');
    }
    await rt.settle();
    expect(smtp.mails.filter((m) => m.rcpt.includes('ada@example.com'))).toHaveLength(1);
  });

  it('refuses forged, tampered, malformed and expired links, naming why, and decides nothing', async () => {
    const { rt, smtp } = await setup();
    const { body } = await rt.post('/hooks/approvals', lead);
    await rt.settle();
    const links = linksIn(smtp.mails[0]!.text);
    const [payload, sig] = links.rejected!.split('/r/')[1]!.split('.');
    const approvedPayload = links.approved!.split('/r/')[1]!.split('.')[0];
    const tries: [string, number, RegExp][] = [
      [`${approvedPayload}.${sig}`, 403, /not signed/], // the rejected link's signature on the approved claim
      [`${payload}.${sig!.slice(0, -2)}AA`, 403, /not signed/],
      ['not-a-token', 400, /malformed/],
      [`${payload}.${sig}.x`, 400, /malformed/],
    ];
    for (const [token, status, why] of tries) {
      const res = await fetch(`${rt.url}/r/${token}`, { method: 'POST' });
      expect(res.status).toBe(status);
      expect(await res.text()).toMatch(why);
    }
    // links expire after 7 days when the review has no timeout
    await rt.advance(7 * 86_400_000 + 1000);
    const late = await fetch(local(rt, links.approved!), { method: 'POST' });
    expect(late.status).toBe(410);
    expect(await late.text()).toMatch(/expired/);
    expect((await rt.get(`/api/runs/${body.runId}`, auth)).body.status).toBe('needs_review');
  });

  it('a review timeout takes its default decision when due, and still does after a restart that slept through it', async () => {
    const flow = approvalFlow({ timeout: { after: '2h', decision: 'rejected' } });
    const first = await setup(flow);
    const a = (await first.rt.post('/hooks/approvals', lead)).body.runId as string;
    await first.rt.settle();
    expect(first.smtp.mails[0]!.text).toContain('Nobody deciding by 2026-03-02T11:00:00.000Z means "rejected"');
    await first.rt.advance(2 * 3_600_000 - 1000);
    expect((await first.rt.get(`/api/runs/${a}`, auth)).body.status).toBe('needs_review');
    await first.rt.advance(1000);
    const ra = (await first.rt.get(`/api/runs/${a}`, auth)).body;
    expect(ra.status).toBe('succeeded');
    expect(ra.steps.map((s: { nodeId: string }) => s.nodeId)).toEqual(['decide', 'declined']);
    expect((await first.rt.get('/api/reviews?status=all', auth)).body[0]).toMatchObject({ decision: 'rejected', resolvedBy: 'timeout', resolvedAt: '2026-03-02T11:00:00.000Z' });

    // a second review, then the runtime is down past its timeout: decided at start-up
    const b = (await first.rt.post('/hooks/approvals', { email: 'bob@example.com', company: 'B' })).body.runId as string;
    await first.rt.settle();
    await first.close();
    first.clock.advance(3 * 3_600_000);
    const again = await startTestRuntime({ env: first.env, dataDir: first.dataDir, clock: first.clock });
    cleanup.push(() => again.close());
    await again.settle();
    const rb = (await again.get(`/api/runs/${b}`, auth)).body;
    expect(rb.status).toBe('succeeded');
    expect(rb.steps.map((s: { nodeId: string }) => s.nodeId)).toEqual(['decide', 'declined']);
  });

  it('a timeout decision must be one of the decisions (deploy refuses it, naming the field)', async () => {
    const { rt } = await setup();
    const bad = approvalFlow({ timeout: { after: '2h', decision: 'maybe' } });
    const res = await putFlow(rt, bad);
    expect(res.status).toBe(422);
    expect(res.body.errors).toContainEqual(expect.objectContaining({ path: '/nodes/0/timeout/decision', nodeId: 'decide' }));
  });
});
