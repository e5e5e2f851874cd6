// Browser end-to-end (issue 14, item 6, the rest): the contract table fits the side panel; at fit view
// the minimap covers no node (the editor's and after Tidy up); the run view's minimap shows the flow.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import type { Flow } from '@flowdesk/schema';
import { poll, screenshot, startApp, type App } from './helpers/app.ts';
import { ROOT } from './helpers/build.ts';
import { EditorPage } from './pages/EditorPage.ts';
import { FlowForms } from './pages/FlowForms.ts';
import { newFlow } from './pages/FlowListPage.ts';

let app: App;
beforeAll(async () => {
  app = await startApp();
});
afterAll(async () => {
  await app?.close();
});

/** Node boxes (on screen) that the minimap overlaps. */
const coveredNodes = (page: Page) =>
  page.evaluate(() => {
    const mm = document.querySelector('.react-flow__minimap')?.getBoundingClientRect();
    if (!mm) return ['no minimap'];
    return [...document.querySelectorAll('.react-flow__node')]
      .filter((n) => {
        const b = n.getBoundingClientRect();
        return b.right > mm.left && b.left < mm.right && b.bottom > mm.top && b.top < mm.bottom;
      })
      .map((n) => n.getAttribute('data-id'));
  });

describe('room to work: fit, minimap, contract table', { timeout: 120_000 }, () => {
  it('the contract table fits the side panel', async () => {
    const { page, errors } = await app.newPage();
    const ed = await newFlow(page, 'contract-fit', 'Contract fit');
    await ed.select('trigger');
    await new FlowForms(page).addContractFields([
      { name: 'customerEmailAddress', type: 'string', required: true, format: 'email' },
      { name: 'amount', type: 'number', required: true, min: 0 },
      { name: 'orderId', type: 'string' },
    ]);
    const fit = await page.evaluate(() => {
      const side = document.querySelector('[data-testid="side-panel"]')!;
      const table = document.querySelector('.fd-contract')!.getBoundingClientRect();
      const s = side.getBoundingClientRect();
      return { overflow: side.scrollWidth - side.clientWidth, tableRight: table.right, sideRight: s.right, tableLeft: table.left, sideLeft: s.left };
    });
    expect(fit.overflow).toBeLessThanOrEqual(0);
    expect(fit.tableRight).toBeLessThanOrEqual(fit.sideRight);
    expect(fit.tableLeft).toBeGreaterThanOrEqual(fit.sideLeft);
    await screenshot(page, 'contract-table');
    expect(errors).toEqual([]);
  });

  it('at fit view the minimap covers no node of a shipped blueprint, after Tidy up too; the run view minimap shows the flow', async () => {
    const flow = JSON.parse(readFileSync(join(ROOT, 'flows/lead-qualification.json'), 'utf8')) as Flow;
    expect((await fetch(`${app.url}/api/flows/${flow.id}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(flow) })).status).toBe(200);
    const { page, errors } = await app.newPage();
    await page.goto(`/flows/${flow.id}`);
    const ed = new EditorPage(page);
    await ed.waitReady();
    await poll(() => ed.nodes().count()).toBe(flow.nodes.length + 1);
    await poll(() => page.locator('.react-flow__minimap-node').count()).toBe(flow.nodes.length + 1);
    await poll(() => coveredNodes(page)).toEqual([]);
    await page.getByTestId('tidy').click();
    await ed.waitDraftSaved();
    await poll(() => coveredNodes(page)).toEqual([]);
    await screenshot(page, 'minimap-clear');

    // a run of it: its minimap draws every node
    const sample = flow.samples?.[0]?.payload ?? {};
    const path = (flow.trigger as { path: string }).path;
    const started = await fetch(`${app.url}/hooks/${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(sample) });
    expect(started.status).toBe(202);
    const run = ((await started.json()) as { runId: string }).runId;
    expect(run).toBeTruthy();
    await page.goto(`/runs/${run}`);
    await page.getByTestId('run-view').waitFor();
    await poll(() => page.locator('.react-flow__minimap-node').count()).toBe(flow.nodes.length + 1);
    await poll(() => coveredNodes(page)).toEqual([]);
    await screenshot(page, 'run-view-minimap');
    expect(errors).toEqual([]);
  });
});
