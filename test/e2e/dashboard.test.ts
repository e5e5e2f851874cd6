// Browser end-to-end: the KPI dashboard over a seeded slice of a month. Leads go through the real
// lead-qualification webhook, invoices move issued → paid through the records API, a reviewer clears
// the review queue now and then, and a small critical flow that posts to a local server answering 400
// dies a few times — all on a ManualClock. The dashboard's periods end at the runtime's own now (the
// clock), so the figures it must show are read from /api/kpis with from/to computed from that clock.
import { mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReviewItem } from '@flowdesk/schema';
import type { HeadlineKpi, KpiResult } from '@flowdesk/engine';
import { ManualClock } from '../../apps/runtime/src/clock.ts';
import { flowsDirWith, startTestRuntime, type TestRuntime } from '../support/runtime.ts';
import { seedEvents, seedMonth } from '../support/seed-month.ts';
import { launchChromium } from './helpers/app.ts';
import { DIST, ensureEditorBuilt, ROOT } from './helpers/build.ts';
import { DashboardPage, type KpiId } from './pages/dashboard.ts';

const DAY = 86_400_000;
const s = seedMonth({ seed: 20261101, leads: 150, clients: 25, invoices: 40, invalidLeads: 5 });
const NOW = new Date(Date.parse(s.to) + 9 * 3_600_000).toISOString(); // 1 December, 09:00 UTC
const SWEEP_DAYS = [8, 15, 22];

let rt: TestRuntime;
let browser: Browser;
let sink: Server;
const sent = { leads: 0, invalid: 0, other: [] as unknown[] };

const sinkFlow = (port: number) => ({
  dsl: 1,
  id: 'invoice-sync',
  name: 'Invoice sync',
  critical: true,
  severity: 'P2',
  trigger: { type: 'manual' },
  nodes: [
    { id: 'check', type: 'route', rules: [{ port: 'push', when: { '==': [{ var: 'payload.push' }, true] } }], default: 'skip' },
    { id: 'push', type: 'action', action: 'http.request', minutesSaved: 3, params: { method: 'POST', url: `http://127.0.0.1:${port}/sync`, body: { n: '{{payload.n}}' } } },
    { id: 'done', type: 'end' },
  ],
  edges: [
    { from: 'trigger', to: 'check' },
    { from: 'check', port: 'push', to: 'push' },
    { from: 'check', port: 'skip', to: 'done' },
    { from: 'push', to: 'done' },
  ],
});

beforeAll(async () => {
  await ensureEditorBuilt();
  sink = createServer((_req, res) => res.writeHead(400, { 'content-type': 'application/json' }).end('{"error":"bad invoice"}'));
  await new Promise<void>((r) => sink.listen(0, '127.0.0.1', r));
  rt = await startTestRuntime({
    flowsDir: flowsDirWith(['lead-qualification']),
    clock: new ManualClock(Date.parse(s.from)),
    editorDir: DIST,
    env: { FLOWDESK_RETENTION_DAYS: '3650' },
  });
  const sweeps = SWEEP_DAYS.map((d) => new Date(Date.parse(s.from) + (d - 1) * DAY + 17 * 3_600_000).toISOString());
  const sweep = async (at: string) => {
    rt.clock.set(at);
    for (const item of (await rt.get('/api/reviews')).body as ReviewItem[]) {
      const res = await rt.post(`/api/reviews/${item.id}/resolve`, { decision: 'approved' });
      if (res.status !== 200) sent.other.push(res.body);
    }
    await rt.settle();
  };
  for (const e of seedEvents(s)) {
    if (e.kind === 'won' || e.at >= NOW) continue;
    while (sweeps.length && sweeps[0]! <= e.at) await sweep(sweeps.shift()!);
    rt.clock.set(e.at);
    if (e.kind === 'lead' || e.kind === 'invalid-lead') {
      const res = await rt.post('/hooks/lead', e.lead.payload);
      if (res.status === 202) sent.leads += 1;
      else if (res.status === 422) sent.invalid += 1;
      else sent.other.push(res.body);
    } else {
      const res = await rt.post(`/api/records/invoice/${e.invoice.key}/state`, { state: e.kind === 'invoice.issued' ? 'issued' : 'paid' });
      if (res.status !== 200) sent.other.push(res.body);
    }
    await rt.settle();
  }
  // the critical flow: 5 runs that skip the call, 3 that post and die on the 400
  rt.clock.set(new Date(Date.parse(NOW) - 3_600_000).toISOString());
  const put = await rt.put('/api/flows/invoice-sync', sinkFlow((sink.address() as AddressInfo).port));
  if (put.status !== 200) sent.other.push(put.body);
  for (let n = 0; n < 8; n += 1) {
    const res = await rt.post('/api/flows/invoice-sync/run', { payload: { n, push: n % 3 === 0 } });
    if (res.status !== 202) sent.other.push(res.body);
    await rt.settle();
  }
  rt.clock.set(NOW);
  await rt.settle();
  browser = await launchChromium();
}, 240_000);

afterAll(async () => {
  await browser?.close().catch(() => {});
  await rt?.dispose();
  await new Promise((r) => sink?.close(r));
});

async function newPage(): Promise<{ page: Page; errors: string[] }> {
  const context = await browser.newContext({ viewport: { width: 1440, height: 1000 }, acceptDownloads: true, baseURL: rt.url });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => {
    // the 422 this test provokes on purpose is logged by Chromium as a failed resource; anything else counts
    if (m.type() === 'error' && !/status of 422/.test(m.text())) errors.push(m.text());
  });
  return { page, errors };
}

const kpisFor = async (days: number): Promise<KpiResult> => {
  const q = new URLSearchParams({ from: new Date(Date.parse(NOW) - days * DAY).toISOString(), to: NOW });
  const res = await rt.get(`/api/kpis?${q}`);
  expect(res.status).toBe(200);
  return res.body as KpiResult;
};

// this test's own rendering of what a card must say (one decimal, a ratio as %, a signed trend)
const minus = (t: string) => t.replace('-', '\u2212');
function expectedValue(k: HeadlineKpi): string {
  if (k.value === null) return '—';
  const unit = { minutes: ' min', 'hours/week': ' h/week', ratio: '%', days: ' days' }[k.unit];
  return minus((k.unit === 'ratio' ? k.value * 100 : k.value).toFixed(1)).replace(/^\u22120\.0$/, '0.0') + unit;
}
const expectedMet = (k: HeadlineKpi) => (k.met === true ? 'met' : k.met === false ? 'not met' : k.value === null ? 'no data' : 'no baseline');
function expectedTrend(k: HeadlineKpi): string {
  if (k.changePct === null) return 'no baseline to compare';
  const t = minus(k.changePct.toFixed(1)).replace(/^\u22120\.0$/, '0.0');
  return `${k.changePct > 0 && t !== '0.0' ? '+' : ''}${t}%`;
}
const CARDS: KpiId[] = ['leadResponse', 'manualHours', 'failureRate', 'collectionLag'];

async function expectCards(dash: DashboardPage, k: KpiResult): Promise<void> {
  for (const id of CARDS) {
    const want = k[id];
    await expect.poll(async () => (await dash.cardText(id)).value, { timeout: 10_000 }).toBe(expectedValue(want));
    const got = await dash.cardText(id);
    expect(got.met, id).toBe(expectedMet(want));
    expect(got.trend, id).toContain(expectedTrend(want));
    expect(got.target, id).toContain(want.target.text);
  }
}

describe('KPI dashboard', () => {
  it('the seeded slice went in as the contracts say', () => {
    expect(sent.other).toEqual([]);
    expect(sent.leads).toBeGreaterThan(100);
    expect(sent.invalid).toBe(5);
  });

  it('shows the KPIs /api/kpis gives for the period, charts, failure rate per flow, drift, queues and the weekly review', async () => {
    const { page, errors } = await newPage();
    await page.goto('/');
    const dash = new DashboardPage(page);
    await dash.open();

    // the founder's figures: a bad one is refused by field, then they are saved
    await dash.baselineInput('leadResponseMedianMinutes').fill('240');
    await dash.baselineInput('weeklyManualHours').fill('12');
    await dash.baselineInput('failureRate').fill('8');
    await dash.baselineInput('collectionDays').fill('-3');
    await dash.saveBaseline();
    expect(await dash.baselineError('collectionDays').innerText()).toMatch(/number ≥ 0/);
    expect(await page.getByTestId('baseline-error-failureRate').count()).toBe(0);
    await dash.baselineInput('collectionDays').fill('18');
    await dash.saveBaseline();
    await page.getByTestId('baseline-saved').waitFor();
    expect((await rt.get('/api/settings/baseline')).body).toEqual({ leadResponseMedianMinutes: 240, weeklyManualHours: 12, failureRate: 0.08, collectionDays: 18 });

    // last 30 days ending at the runtime's clock
    const k30 = await kpisFor(30);
    expect(k30.leadResponse.samples).toBeGreaterThan(0);
    expect(k30.collectionLag.samples).toBeGreaterThan(0);
    expect(k30.failureRate.perFlow.find((f) => f.flowId === 'invoice-sync')).toMatchObject({ finished: 8, dead: 3, flagged: true });
    await expectCards(dash, k30);
    expect(await dash.periodText().innerText()).toContain(`${k30.from.slice(0, 16).replace('T', ' ')} → ${NOW.slice(0, 16).replace('T', ' ')}`);
    expect(await dash.card('failureRate').getAttribute('data-met')).toBe('not met');

    // charts: one bar per ISO week with runs, and the collection lag per month
    const weeksWithRuns = k30.manualHours.perWeek.filter((w) => w.hours > 0).length;
    await expect.poll(() => dash.chart('hours').locator('svg .recharts-bar-rectangle').count()).toBe(weeksWithRuns);
    await expect.poll(() => dash.chart('runs').locator('svg .recharts-bar-rectangle').count()).toBe(k30.manualHours.perWeek.filter((w) => w.runs > 0).length);
    expect(await dash.chart('hours').locator('svg').first().textContent()).toContain(k30.manualHours.perWeek[0]!.week);
    expect(await dash.chart('collection').locator('svg .recharts-bar-rectangle').count()).toBe(k30.collectionLag.perMonth.filter((m) => m.medianDays !== null).length);

    // failure rate per flow, the critical one above 2% flagged
    for (const f of k30.failureRate.perFlow) {
      const row = dash.failureRow(f.flowId);
      expect(await row.getAttribute('data-flagged')).toBe(String(f.flagged));
      expect(await row.innerText()).toContain(`${(f.rate! * 100).toFixed(1)}%`);
    }
    expect(await dash.failureRow('lead-qualification').count()).toBe(1);
    expect(await dash.failureRow('invoice-sync').getByTestId('failure-flag').innerText()).toBe('above 2%');

    // payload drift and the queues
    expect(await dash.rejectedRows().count()).toBe(k30.rejectedByReason.length);
    expect(k30.rejectedByReason.reduce((a, r) => a + r.count, 0)).toBe(5);
    expect(await page.getByTestId('count-dead-letters').innerText()).toBe(String(k30.deadLettersOpen));
    expect(k30.deadLettersOpen).toBe(3);
    expect(await page.getByTestId('count-reviews').innerText()).toBe(String(k30.reviewsOpen));

    // the weekly review of the current week (the runtime's clock), rendered as text, and its download
    const review = dash.review();
    await expect.poll(() => review.locator('h3').first().textContent(), { timeout: 10_000 }).toBe('Flowdesk weekly review — 2026-W49');
    const weekKpis = ((await rt.get('/api/reports/weekly?week=2026-W49', { accept: 'application/json' })).body as { kpis: KpiResult }).kpis;
    const word = (m: boolean | null) => (m === true ? 'met' : m === false ? 'not met' : 'no data');
    expect(await review.locator('td .fd-verdict').allInnerTexts()).toEqual(CARDS.map((id) => word(weekKpis[id].met)));
    expect(await review.locator('h4', { hasText: 'What failed and why' }).count()).toBe(1);
    expect(await review.innerText()).toContain('invoice-sync');
    const md = await rt.get('/api/reports/weekly?week=2026-W49', { accept: 'text/markdown' });
    const [download] = await Promise.all([page.waitForEvent('download'), review.getByTestId('review-download-md').click()]);
    expect(download.suggestedFilename()).toBe('weekly-review-2026-W49.md');
    const { readFileSync } = await import('node:fs');
    expect(readFileSync((await download.path())!, 'utf8')).toBe(md.body);

    // the page scrolls inside the app shell: a tall viewport shows all of it in one picture
    await page.setViewportSize({ width: 1440, height: 1480 });
    await page.getByTestId('baseline-form').scrollIntoViewIfNeeded();
    mkdirSync(join(ROOT, 'test-results'), { recursive: true });
    await page.screenshot({ path: join(ROOT, 'test-results/dashboard.png'), fullPage: true });
    // docs/screenshots/dashboard.png is refreshed by hand from this file (a test run must not dirty the tree)

    // another period: last 7 days
    await dash.period(7);
    const k7 = await kpisFor(7);
    await expectCards(dash, k7);
    expect(await dash.periodText().innerText()).toContain(k7.from.slice(0, 16).replace('T', ' '));
    // and 90: the runs and invoices of the whole slice (nothing before it)
    await dash.period(90);
    await expectCards(dash, await kpisFor(90));
    expect(errors).toEqual([]);
  }, 90_000);

  it('links into the runs of a flow filtered by status', async () => {
    const { page, errors } = await newPage();
    await page.goto('/dashboard');
    const dash = new DashboardPage(page);
    await dash.card('failureRate').waitFor();
    await dash.failureRow('invoice-sync').getByRole('link', { name: 'dead' }).click();
    await page.getByTestId('runs-page').waitFor();
    expect(new URL(page.url()).search).toBe('?status=dead&flowId=invoice-sync');
    await expect.poll(() => page.getByTestId('run-row').count(), { timeout: 10_000 }).toBe(3);
    expect(await page.getByTestId('run-status').allInnerTexts()).toEqual(['dead', 'dead', 'dead']);
    await page.getByTestId('nav-dashboard').click();
    await page.getByTestId('link-dead-letters').click();
    await expect.poll(() => page.getByTestId('dead-letter').count(), { timeout: 10_000 }).toBe(3);
    expect(errors).toEqual([]);
  }, 60_000);
});
