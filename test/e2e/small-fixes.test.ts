// Browser end-to-end (issue 14, item 11): the small ones a newcomer meets — a not-yet-deployed flow
// opens without a 404, "1 lead answered" in the singular, Save baseline reachable without scrolling,
// and the review queue naming the lead.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { poll, startApp, type App } from './helpers/app.ts';
import { ROOT } from './helpers/build.ts';
import { EditorPage } from './pages/EditorPage.ts';
import { FlowListPage } from './pages/FlowListPage.ts';

let app: App;
beforeAll(async () => {
  app = await startApp();
});
afterAll(async () => {
  await app?.close();
});

describe('small ones', { timeout: 120_000 }, () => {
  it('a new flow opens (and reopens after a reload) without asking the runtime for a flow it does not have', async () => {
    const { page, errors } = await app.newPage();
    const notFound: string[] = [];
    page.on('response', (r) => {
      if (r.status() === 404) notFound.push(r.url());
    });
    const list = new FlowListPage(page);
    await list.open();
    await list.createFlow('Not yet deployed');
    const ed = new EditorPage(page);
    await ed.waitReady();
    await page.reload();
    await ed.waitReady();
    expect(notFound).toEqual([]);
    expect(errors).toEqual([]);
  });

  it('the dashboard says "1 lead answered", Save baseline shows without scrolling, and the review names the lead', async () => {
    const lead = JSON.parse(readFileSync(join(ROOT, 'flows/lead-qualification.json'), 'utf8')) as Record<string, unknown>;
    const put = await fetch(`${app.url}/api/flows/lead-qualification`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(lead) });
    expect(put.status).toBe(200);
    const send = (body: unknown) => fetch(`${app.url}/hooks/lead`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect((await send({ email: 'ada@lovelace-labs.example', name: 'Ada', company: 'Lovelace Labs', source: 'referral', budget: 12000, timeline: 'now', message: 'We need a data pipeline rebuilt before our Q3 launch.' })).status).toBe(202);
    expect((await send({ email: 'grace@hopper-co.example', name: 'Grace', company: 'Hopper & Co', source: 'form', budget: 5000, timeline: 'quarter' })).status).toBe(202);
    await poll(async () => ((await (await fetch(`${app.url}/api/outbox`)).json()) as unknown[]).length).toBe(1);

    const { page, errors } = await app.newPage();
    await page.goto('/dashboard');
    const card = page.getByTestId('kpi-leadResponse');
    await poll(() => card.innerText()).toMatch(/\b1 lead answered/);
    const save = await page.getByTestId('baseline-save').boundingBox();
    expect(await page.evaluate(() => window.scrollY)).toBe(0);
    expect(save!.y + save!.height).toBeLessThanOrEqual(900);

    await page.goto('/reviews');
    const item = page.getByTestId('review-item');
    await item.waitFor();
    expect(await item.locator('b').first().innerText()).toBe('Review lead grace@hopper-co.example: fit 55 (between 40 and 69)');
    expect(await item.getByTestId('review-who').innerText()).toContain('company: Hopper & Co');
    expect(errors).toEqual([]);
  });
});
