// A seeded month of lead-to-cash pushed through the real runtime on an injected clock: 500 leads and 12
// malformed ones through POST /hooks/lead, a reviewer clearing the review queue each evening until the
// 25th, 120 invoices moved issued → paid through the records API at their own times. The fast-response
// e-mails go over SMTP to a local server that refuses some of them for a while (451, a seeded number of
// times per lead), so the runtime's own retry schedule (30 s, 2 m, 10 m) makes the response times real and
// non-zero; between events the clock walks to every timer's due time, as time would pass. Then
// GET /api/kpis and GET /api/reports/weekly are held against figures this test computes itself from what
// it sent, what the SMTP server accepted and when, and what the API shows (its own sums and medians,
// never the engine's KPI code); /metrics is scraped and parsed; the runs are pruned and the KPIs must not
// move.
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Flow, ReviewItem, Run } from '@flowdesk/schema';
import type { KpiResult } from '@flowdesk/engine';
import { ManualClock } from '../apps/runtime/src/clock.ts';
import { flowsDirWith, REPO, startTestRuntime, type TestRuntime } from './support/runtime.ts';
import { mulberry32, seedEvents, seedMonth } from './support/seed-month.ts';

const DAY = 86_400_000;
const s = seedMonth({ seed: 20261101 });
const BASELINE = { leadResponseMedianMinutes: 240, weeklyManualHours: 12, failureRate: 0.08, collectionDays: 18 };
const LAST_SWEEP_DAY = 25; // the reviewer stops clearing the queue after the 25th: some reviews wait

/** This test's own quantile: linear interpolation between closest ranks (type 7, as the README defines it). */
function quantile(xs: number[], p: number): number | null {
  if (xs.length === 0) return null;
  const a = [...xs].sort((x, y) => x - y);
  const h = (a.length - 1) * p;
  const lo = Math.floor(h);
  return lo + 1 < a.length ? a[lo]! + (h - lo) * (a[lo + 1]! - a[lo]!) : a[lo]!;
}
const med = (xs: number[]) => quantile(xs, 0.5);

let rt: TestRuntime;
let smtp: SMTPServer;
const sent = { lead202: 0, lead422: 0, other: [] as { status: number; body: unknown }[] };
const resolved: { id: string; createdAt: string; resolvedAt: string }[] = [];
let leadRuns: Run[] = [];
let flowDoc: Flow;
let openReviews: ReviewItem[] = [];
/** lead e-mail → the clock when its webhook was answered */
const postedAt = new Map<string, number>();
/** fast-response e-mails the SMTP server accepted, with the clock at acceptance; and how many it refused */
const fastMail: { to: string; at: number }[] = [];
let refused = 0;

/** A local SMTP server: each lead's fast-response is refused with 451 a seeded 0–3 times, then accepted. */
async function startSmtp(clock: ManualClock): Promise<number> {
  const random = mulberry32(20261102);
  const refusalsLeft = new Map<string, number>();
  smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const head = Buffer.concat(chunks).toString('utf8').split('\r\n\r\n')[0]!.replace(/\r\n[ \t]+/g, ' ');
        const to = session.envelope.rcptTo[0]!.address.toLowerCase();
        // the nurture e-mail has a fixed ASCII subject; the fast-response's names the lead (perhaps MIME-encoded)
        if (/^Subject: Thanks for getting in touch$/im.test(head)) return cb();
        if (!refusalsLeft.has(to)) {
          const r = random();
          refusalsLeft.set(to, r < 0.4 ? 0 : r < 0.7 ? 1 : r < 0.9 ? 2 : 3);
        }
        const left = refusalsLeft.get(to)!;
        if (left > 0) {
          refusalsLeft.set(to, left - 1);
          refused += 1;
          return cb(Object.assign(new Error('4.3.2 try again later'), { responseCode: 451 }));
        }
        fastMail.push({ to, at: clock.now() });
        cb();
      });
    },
  });
  await new Promise<void>((ok) => smtp.listen(0, '127.0.0.1', ok));
  return (smtp.server.address() as AddressInfo).port;
}

const kpis = async (q: Record<string, string>): Promise<KpiResult> => {
  const res = await rt.get(`/api/kpis?${new URLSearchParams(q)}`);
  expect(res.status).toBe(200);
  return res.body as KpiResult;
};

beforeAll(async () => {
  const clock = new ManualClock(Date.parse(s.from));
  const port = await startSmtp(clock);
  rt = await startTestRuntime({
    flowsDir: flowsDirWith(['lead-qualification']),
    clock,
    env: { FLOWDESK_RETENTION_DAYS: '3650', FLOWDESK_SMTP_HOST: '127.0.0.1', FLOWDESK_SMTP_PORT: String(port) }, // this test prunes by hand at the end
  });
  expect((await rt.put('/api/settings/baseline', BASELINE)).status).toBe(200);

  /** moves the clock to `iso`, stopping at every timer due on the way (retries fire when they are due) */
  const walkTo = async (iso: string) => {
    const target = Date.parse(iso);
    if (target < clock.now()) throw new Error(`the clock never goes back: ${iso}`);
    for (;;) {
      const next = (await rt.store.listTimers()).map((t) => Date.parse(t.dueAt)).filter((t) => t > clock.now() && t <= target).sort((a, b) => a - b)[0];
      if (next === undefined) break;
      clock.set(new Date(next).toISOString());
      await rt.settle();
    }
    clock.set(iso);
    await rt.settle();
  };

  const sweeps: string[] = [];
  for (let d = 1; d <= LAST_SWEEP_DAY; d += 1) sweeps.push(new Date(Date.parse(s.from) + (d - 1) * DAY + 17 * 3_600_000).toISOString());
  let nSweep = 0;
  let decisions = 0;
  const sweep = async (at: string) => {
    await walkTo(at);
    const open = (await rt.get('/api/reviews')).body as ReviewItem[];
    for (const item of open.sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id))) {
      const decision = decisions++ % 3 === 2 ? 'rejected' : 'approved';
      const res = await rt.post(`/api/reviews/${item.id}/resolve`, { decision });
      if (res.status !== 200) sent.other.push(res);
      resolved.push({ id: item.id, createdAt: item.createdAt, resolvedAt: at });
    }
    await rt.settle();
  };

  for (const e of seedEvents(s)) {
    if (e.kind === 'won') continue; // no KPI reads account wins; onboarding is another flow's test
    while (nSweep < sweeps.length && sweeps[nSweep] <= e.at) await sweep(sweeps[nSweep++]);
    await walkTo(e.at);
    if (e.kind === 'lead' || e.kind === 'invalid-lead') {
      const res = await rt.post('/hooks/lead', e.lead.payload);
      if (res.status === 202) {
        sent.lead202 += 1;
        postedAt.set(String(e.lead.payload.email).toLowerCase(), clock.now());
      } else if (res.status === 422) sent.lead422 += 1;
      else sent.other.push(res);
    } else {
      const state = e.kind === 'invoice.issued' ? 'issued' : 'paid';
      const res = await rt.post(`/api/records/invoice/${e.invoice.key}/state`, { state });
      if (res.status !== 200) sent.other.push(res);
    }
    await rt.settle();
  }
  while (nSweep < sweeps.length) await sweep(sweeps[nSweep++]);
  await walkTo(new Date(clock.now() + DAY).toISOString()); // every retry still pending has fired
  clock.set('2027-06-01T00:00:00.000Z');

  leadRuns = (await rt.get('/api/runs?flowId=lead-qualification&limit=1000')).body as Run[];
  flowDoc = (await rt.get('/api/flows/lead-qualification')).body as Flow;
  openReviews = (await rt.get('/api/reviews')).body as ReviewItem[];
}, 300_000);

afterAll(async () => {
  await rt?.dispose();
  await new Promise<void>((ok) => (smtp ? smtp.close(() => ok()) : ok()));
});

const NOV = { from: s.from, to: s.to };

/** GET /api/reports/weekly?week=2026-W48 as JSON, Markdown and HTML, read on Monday 30 November 09:00 */
async function weekly(): Promise<{ markdown: string; html: string; kpis: KpiResult }> {
  const was = rt.clock.now();
  rt.clock.set('2026-11-30T09:00:00.000Z');
  try {
    const get = async (accept: string) => {
      const res = await fetch(`${rt.url}/api/reports/weekly?week=2026-W48`, { headers: { accept } });
      expect(res.status).toBe(200);
      return res;
    };
    const json = (await (await get('application/json')).json()) as { kpis: KpiResult };
    return { markdown: await (await get('text/markdown')).text(), html: await (await get('text/html')).text(), kpis: json.kpis };
  } finally {
    rt.clock.set(new Date(was).toISOString());
  }
}
const finished = (r: Run) => ['succeeded', 'failed', 'dead', 'cancelled'].includes(r.status);
const inNov = (iso: string) => iso >= s.from && iso < s.to;

describe('a seeded month through the runtime', () => {
  it('every event was taken as the contract says', () => {
    expect(sent.other).toEqual([]);
    expect(sent.lead202).toBe(500);
    expect(sent.lead422).toBe(12);
    expect(leadRuns).toHaveLength(500);
    expect(resolved.length).toBeGreaterThan(20);
    expect(openReviews.length).toBeGreaterThan(0);
    // a run waiting for review is not finished: no fact, no KPI contribution yet
    expect(leadRuns.filter((r) => r.status === 'needs_review')).toHaveLength(openReviews.length);
  });

  it('lead response SLA: minutes from capture to the accepted fast-response e-mail, as the SMTP server saw them', async () => {
    const k = await kpis(NOV);
    // this test's own measure: the webhook's answer → the SMTP server accepting the fast-response
    const minutes = fastMail.filter((m) => inNov(new Date(postedAt.get(m.to)!).toISOString())).map((m) => (m.at - postedAt.get(m.to)!) / 60_000);
    expect(minutes.length).toBeGreaterThan(10);
    expect(refused).toBeGreaterThan(minutes.length / 2); // the retries did happen, often
    // …and the runs agree on which leads got one
    const fast = leadRuns.filter((r) => finished(r) && inNov(r.startedAt) && r.steps.some((st) => st.nodeId === 'fast-response' && st.status === 'succeeded'));
    expect(fast.length).toBe(minutes.length);
    const median = med(minutes)!;
    const p90 = quantile(minutes, 0.9)!;
    expect(median).toBeGreaterThan(0);
    expect(p90).toBeGreaterThan(median);
    expect(k.leadResponse.samples).toBe(minutes.length);
    expect(k.leadResponse.medianMinutes).toBeCloseTo(median, 9);
    expect(k.leadResponse.p90Minutes).toBeCloseTo(p90, 9);
    expect(k.leadResponse).toMatchObject({ value: k.leadResponse.medianMinutes, baseline: 240, baselineSource: 'founder' });
    expect(k.leadResponse.change).toBeCloseTo(median - 240, 9);
    expect(k.leadResponse.changePct).toBeCloseTo(((median - 240) / 240) * 100, 9);
    expect(k.leadResponse.met).toBe((240 - median) / 240 >= 0.4); // the target: 40–70% faster than the baseline
  });

  it('manual hours reclaimed: minutesSaved of succeeded steps of finished runs, per ISO week', async () => {
    const k = await kpis(NOV);
    const saved = new Map(flowDoc.nodes.map((n) => [n.id, n.minutesSaved ?? 0]));
    const perWeekRuns = new Map<string, number>();
    let minutes = 0;
    for (const r of leadRuns.filter((x) => finished(x) && inNov(x.startedAt))) {
      minutes += r.steps.filter((st) => st.status === 'succeeded').reduce((a, st) => a + (saved.get(st.nodeId) ?? 0), 0);
      // ISO week by hand: Monday 00:00Z of the run's week, numbered from the week holding 4 January
      const t = Date.parse(r.startedAt);
      const monday = Math.floor(t / DAY) * DAY - ((new Date(t).getUTCDay() + 6) % 7) * DAY;
      perWeekRuns.set(new Date(monday).toISOString().slice(0, 10), (perWeekRuns.get(new Date(monday).toISOString().slice(0, 10)) ?? 0) + 1);
    }
    expect(minutes).toBeGreaterThan(0);
    expect(k.manualHours.minutesSaved).toBe(minutes);
    expect(k.manualHours.hoursReclaimed).toBeCloseTo(minutes / 60, 9);
    expect(k.manualHours.hoursPerWeek).toBeCloseTo(minutes / 60 / (30 / 7), 9);
    expect(k.manualHours.met).toBe(minutes / 60 / (30 / 7) >= 6);
    // 2026-W44 starts Monday 26 Oct … W49 starts Monday 30 Nov
    expect(k.manualHours.perWeek.map((w) => w.week)).toEqual(['2026-W44', '2026-W45', '2026-W46', '2026-W47', '2026-W48', '2026-W49']);
    expect(k.manualHours.perWeek.map((w) => w.runs)).toEqual(
      ['2026-10-26', '2026-11-02', '2026-11-09', '2026-11-16', '2026-11-23', '2026-11-30'].map((d) => perWeekRuns.get(d) ?? 0),
    );
  });

  it('review queue: open items, and the median time to resolve from the reviewer’s own log', async () => {
    const k = await kpis(NOV);
    const inPeriod = resolved.filter((x) => inNov(x.resolvedAt));
    expect(k.reviewQueue.open).toBe(openReviews.length);
    expect(k.reviewsOpen).toBe(openReviews.length);
    expect(k.reviewQueue.resolvedInPeriod).toBe(inPeriod.length);
    expect(k.reviewQueue.medianResolveMinutes).toBeCloseTo(med(inPeriod.map((x) => (Date.parse(x.resolvedAt) - Date.parse(x.createdAt)) / 60_000))!, 9);
    expect(k.reviewQueue.createdInPeriod).toBe(resolved.length + openReviews.length);
  });

  it('failure rate and run durations from the runs the API lists', async () => {
    const k = await kpis(NOV);
    const done = leadRuns.filter((r) => finished(r) && inNov(r.startedAt) && r.status !== 'cancelled');
    const failed = done.filter((r) => r.status === 'failed' || r.status === 'dead').length;
    expect(k.failureRate.finished).toBe(done.length);
    expect(k.failureRate.failed + k.failureRate.dead).toBe(failed);
    expect(k.failureRate.value).toBeCloseTo(failed / done.length, 12);
    expect(k.failureRate.perFlow).toHaveLength(1);
    expect(k.failureRate.perFlow[0]).toMatchObject({ flowId: 'lead-qualification', critical: true });
    expect(k.failureRate.met).toBe(failed / done.length <= 0.02);
    expect(k.deadLettersOpen).toBe(0);
    const durations = leadRuns.filter((r) => finished(r) && inNov(r.startedAt)).map((r) => Date.parse(r.endedAt!) - Date.parse(r.startedAt));
    expect(k.runDurationByFlow).toEqual([{ flowId: 'lead-qualification', runs: durations.length, medianMs: med(durations) }]);
  });

  it('cash collection lag matches the generator’s own figures, for the month and past it', async () => {
    const k = await kpis(NOV);
    expect(k.collectionLag.samples).toBe(s.expected.invoicesPaidInMonth);
    expect(k.collectionLag.medianDays).toBeCloseTo(s.expected.collectionLagMedianDays!, 9);
    expect(k.collectionLag.baseline).toBe(18);
    expect(k.collectionLag.met).toBe((18 - s.expected.collectionLagMedianDays!) / 18 >= 0.15);
    const all = await kpis({ from: s.from, to: '2027-06-01T00:00:00.000Z' });
    expect(all.collectionLag.samples).toBe(s.expected.allPaid.invoices);
    expect(all.collectionLag.medianDays).toBeCloseTo(s.expected.allPaid.collectionLagMedianDays!, 9);
  });

  it('payload drift: the malformed submissions are the rejected events', async () => {
    const k = await kpis(NOV);
    expect(k.rejectedByReason.reduce((a, r) => a + r.count, 0)).toBe(s.expected.invalidLeads);
  });

  it('an earlier period as the baseline: the first two weeks against the last two', async () => {
    const k = await kpis({ from: '2026-11-16T00:00:00.000Z', to: '2026-11-30T00:00:00.000Z', baselineFrom: '2026-11-02T00:00:00.000Z', baselineTo: '2026-11-16T00:00:00.000Z' });
    const earlier = await kpis({ from: '2026-11-02T00:00:00.000Z', to: '2026-11-16T00:00:00.000Z' });
    expect(k.manualHours.baselineSource).toBe('period');
    expect(k.manualHours.baseline).toBe(earlier.manualHours.hoursPerWeek);
  });

  it('GET /metrics: webhook responses, runs by status, step histograms, queue depths', async () => {
    const res = await fetch(`${rt.url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await res.text();
    const sample = (name: string, labels: Record<string, string>): number | undefined => {
      for (const line of text.split('\n')) {
        const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
        if (!m || m[1] !== name) continue;
        const ls = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((x) => [x[1], x[2]]));
        if (Object.entries(labels).every(([k, v]) => ls[k] === v) && Object.keys(ls).length === Object.keys(labels).length) return Number(m[3]);
      }
      return undefined;
    };
    expect(sample('flowdesk_webhook_responses_total', { path: 'lead', status: '202' })).toBe(500);
    expect(sample('flowdesk_webhook_responses_total', { path: 'lead', status: '422' })).toBe(12);
    // every answer on the path is timed, the refusals too; a 202 waited for its event's fdatasync
    expect(sample('flowdesk_webhook_duration_seconds_count', { path: 'lead' })).toBe(512);
    expect(sample('flowdesk_webhook_duration_seconds_bucket', { path: 'lead', le: '+Inf' })).toBe(512);
    expect(sample('flowdesk_webhook_duration_seconds_sum', { path: 'lead' })).toBeGreaterThan(0);
    const byStatus = new Map<string, number>();
    for (const r of leadRuns) if (finished(r)) byStatus.set(r.status, (byStatus.get(r.status) ?? 0) + 1);
    for (const [status, n] of byStatus) expect(sample('flowdesk_runs_total', { flow: 'lead-qualification', status })).toBe(n);
    const fast = leadRuns.filter((r) => r.steps.some((st) => st.nodeId === 'fast-response' && st.status === 'succeeded')).length;
    // every attempt is a timed call: the accepted ones and the ones the SMTP server refused
    const attempts = leadRuns.reduce((n, r) => n + r.steps.filter((st) => st.nodeId === 'fast-response').reduce((m, st) => m + st.attempts.length, 0), 0);
    expect(attempts).toBe(fast + refused);
    expect(sample('flowdesk_step_duration_seconds_count', { flow: 'lead-qualification', node: 'fast-response' })).toBe(attempts);
    expect(sample('flowdesk_queue_depth', { queue: 'reviews' })).toBe(openReviews.length);
    expect(sample('flowdesk_queue_depth', { queue: 'dead_letters' })).toBe(0);
    expect(sample('flowdesk_queue_depth', { queue: 'timers' })).toBe((await rt.store.listTimers()).length);
    expect(sample('process_cpu_user_seconds_total', {})).toBeGreaterThan(0);
  });

  it('the weekly review of 2026-W48 from GET /api/reports/weekly, written to test-results/', async () => {
    const { markdown, html, kpis: k } = await weekly();
    expect(k.from).toBe('2026-11-23T00:00:00.000Z');
    // waiting at `now`: the reviews still open that had been created by then
    expect(markdown).toContain(`## Reviews waiting (${openReviews.filter((r) => r.createdAt <= '2026-11-30T09:00:00.000Z').length})`);
    expect(markdown).toContain('- Clear the review queue:');
    // the week's lead response, from this test's own SMTP log
    const w48 = fastMail.filter((m) => postedAt.get(m.to)! >= Date.parse(k.from) && postedAt.get(m.to)! < Date.parse(k.to)).map((m) => (m.at - postedAt.get(m.to)!) / 60_000);
    expect(w48.length).toBeGreaterThan(0);
    const one = (n: number) => (Math.round(n * 10) / 10).toFixed(1);
    expect(markdown).toContain(`| Lead response (median) | ${one(med(w48)!)} min, p90 ${one(quantile(w48, 0.9)!)} min, ${w48.length} leads |`);
    expect(html).not.toMatch(/<script/i);
    const dir = join(REPO, 'test-results');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'weekly-report-2026-W48.md'), markdown);
    writeFileSync(join(dir, 'weekly-report-2026-W48.html'), html);
  });

  it('the weekly review renders in Chromium under a CSP with no scripts, and a screenshot is saved', async () => {
    const { html } = await weekly();
    // served the way a strict server would: nothing but inline styles allowed
    const server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'" });
      res.end(html);
    });
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run'] });
    try {
      const page = await browser.newPage({ viewport: { width: 1200, height: 900 }, javaScriptEnabled: false });
      const problems: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error') problems.push(m.text());
      });
      const res = await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
      expect(res?.status()).toBe(200);
      expect(await page.title()).toBe('Flowdesk weekly review — 2026-W48');
      expect(await page.locator('h1').innerText()).toBe('Flowdesk weekly review — 2026-W48');
      const h2 = await page.locator('h2').allInnerTexts();
      expect(h2).toContain('KPIs against targets');
      expect(h2).toContain('Suggested actions');
      expect(await page.locator('table').first().locator('tbody tr').count()).toBe(4);
      // the inline stylesheet applied (CSP allowed it): header cells have their background
      expect(await page.locator('th').first().evaluate((el) => getComputedStyle(el).backgroundColor)).toBe('rgb(240, 244, 248)');
      expect(problems).toEqual([]);
      mkdirSync(join(REPO, 'test-results'), { recursive: true });
      await page.screenshot({ path: join(REPO, 'test-results', 'weekly-report-2026-W48.png'), fullPage: true });
    } finally {
      await browser.close();
      await new Promise<void>((ok) => server.close(() => ok()));
    }
  });

  // last: it deletes the runs
  it('retention: pruning the finished runs leaves the KPIs of the pruned period unchanged', async () => {
    const before = await kpis(NOV);
    const pruned = await rt.store.pruneRuns('2027-01-01T00:00:00.000Z');
    expect(pruned).toBe(leadRuns.filter(finished).length);
    expect((await rt.get('/api/runs?flowId=lead-qualification&limit=1000')).body).toHaveLength(openReviews.length);
    expect(await kpis(NOV)).toEqual(before);
  });
});
