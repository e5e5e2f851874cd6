// Browser end-to-end (issue 14, item 9): a review reaches the founder by e-mail (a local SMTP server)
// with approve/reject links; the link opens a confirmation page in Chromium and the decision is its
// POST — with an admin token set, no token needed. And a review whose timeout decides by itself.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../apps/runtime/src/index.ts';
import { smtpEnv, startSmtpSink, type SmtpSink } from '../blueprints/support.ts';
import { approvalFlow, linksIn } from '../reviews/approval-flow.ts';
import { poll, screenshot, startApp, type App } from './helpers/app.ts';
import { RunsPage } from './pages/RunsPage.ts';

const TOKEN = 'e2e-admin-token';
let smtp: SmtpSink;
beforeAll(async () => {
  smtp = await startSmtpSink();
});
afterAll(async () => {
  await smtp?.close();
});

const put = (app: App, flow: unknown, headers: Record<string, string> = {}) =>
  fetch(`${app.url}/api/flows/approvals`, { method: 'PUT', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(flow) });
const hook = (app: App, body: unknown) => fetch(`${app.url}/hooks/approvals`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
const mailFor = (subject: RegExp) => smtp.mails.find((m) => m.rcpt.includes('founder@example.com') && subject.test(m.subject));

describe('review links', { timeout: 120_000 }, () => {
  it('approves a review through the e-mailed link: a confirmation page, then the POST; the run goes on once', async () => {
    const app = await startApp({ ...smtpEnv(smtp.port), FLOWDESK_ALERT_EMAIL: 'founder@example.com', FLOWDESK_ADMIN_TOKEN: TOKEN });
    try {
      const auth = { authorization: `Bearer ${TOKEN}` };
      expect((await put(app, approvalFlow(), auth)).status).toBe(200);
      const { runId } = (await (await hook(app, { email: 'ada@example.com', company: 'Analytical Engines' })).json()) as { runId: string };
      await poll(() => mailFor(/Analytical Engines/) !== undefined).toBe(true);
      const links = linksIn(mailFor(/Analytical Engines/)!.text);

      const { page, errors } = await app.newPage();
      await page.goto(links.approved!);
      expect(await page.getByTestId('link-title').innerText()).toBe('approved: Take on Analytical Engines (ada@example.com)?');
      await screenshot(page, 'review-link-confirm');
      // opening the link decided nothing (a mail scanner does exactly this)
      const before = (await (await fetch(`${app.url}/api/runs/${runId}`, { headers: auth })).json()) as { status: string };
      expect(before.status).toBe('needs_review');

      await page.getByTestId('link-confirm').click();
      await page.getByTestId('link-decided').waitFor();
      expect(await page.getByTestId('link-decided').innerText()).toContain('the run continues');
      await poll(async () => ((await (await fetch(`${app.url}/api/runs/${runId}`, { headers: auth })).json()) as { status: string }).status).toBe('succeeded');
      const reviews = (await (await fetch(`${app.url}/api/reviews?status=all`, { headers: auth })).json()) as { decision: string; resolvedBy: string }[];
      expect(reviews[0]).toMatchObject({ decision: 'approved', resolvedBy: 'link' });
      await poll(() => smtp.mails.filter((m) => m.rcpt.includes('ada@example.com') && m.subject === 'Welcome aboard').length).toBe(1);

      // the link is spent: reopening it says so, and the other decision's link too
      for (const l of [links.approved!, links.rejected!]) {
        await page.goto(l);
        expect(await page.getByTestId('link-refused').innerText()).toMatch(/already decided: approved/);
      }
      expect(errors).toEqual([]);
    } finally {
      await app.close();
    }
  });

  it('a review with a timeout decides by itself: the queue shows when, then the run takes the default decision', async () => {
    const clock = new ManualClock(Date.parse('2026-03-02T09:00:00.000Z'));
    const app = await startApp({ ...smtpEnv(smtp.port), FLOWDESK_ALERT_EMAIL: 'founder@example.com' }, { clock });
    try {
      expect((await put(app, approvalFlow({ timeout: { after: '2d', decision: 'rejected' } }))).status).toBe(200);
      const { runId } = (await (await hook(app, { email: 'bob@example.com', company: 'Babbage Ltd' })).json()) as { runId: string };
      await app.settle();
      const links = linksIn(mailFor(/Babbage/)!.text);

      const { page, errors } = await app.newPage();
      await page.goto('/reviews');
      const item = page.getByTestId('review-item');
      await item.waitFor();
      expect(await item.getByTestId('review-who').innerText()).toContain('company: Babbage Ltd');
      expect(await item.getByTestId('review-timeout').innerText()).toMatch(/means “rejected”/);
      await screenshot(page, 'review-timeout-queue');

      clock.advance(2 * 86_400_000);
      await app.settle();
      await page.reload();
      await page.getByText('Nothing waits for you').waitFor();
      const runs = new RunsPage(page);
      await page.goto(`/runs/${runId}`);
      await page.getByTestId('run-view').waitFor();
      await poll(() => runs.status().innerText()).toBe('succeeded');
      await poll(() => runs.node('declined').getAttribute('data-onpath')).toBe('true');
      expect(await runs.node('welcome').getAttribute('data-onpath')).toBe('false');
      const reviews = (await (await fetch(`${app.url}/api/reviews?status=all`)).json()) as { decision: string; resolvedBy: string; resolvedAt: string }[];
      expect(reviews[0]).toMatchObject({ decision: 'rejected', resolvedBy: 'timeout', resolvedAt: '2026-03-04T09:00:00.000Z' });
      // its links expired with the timeout
      await page.goto(links.approved!);
      expect(await page.getByTestId('link-refused').innerText()).toMatch(/expired|already decided: rejected/);
      expect(errors).toEqual([]);
    } finally {
      await app.close();
    }
  });
});
