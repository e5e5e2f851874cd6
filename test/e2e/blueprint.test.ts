// Browser end-to-end: a shipped blueprint opens on the canvas, the in-browser dry run highlights its
// path, and the flow list shows its trigger and version. (Also the editor overview screenshot.)
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Flow } from '@flowdesk/schema';
import { poll, screenshot, startApp, type App } from './helpers/app.ts';
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

describe('blueprint', { timeout: 120_000 }, () => {
  it('opens the lead-qualification blueprint, dry-runs its sample and highlights the path', async () => {
    const flow = JSON.parse(readFileSync(join(ROOT, 'flows/lead-qualification.json'), 'utf8')) as Flow;
    const put = await fetch(`${app.url}/api/flows/${flow.id}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(flow) });
    expect(put.status).toBe(200);

    const { page, errors } = await app.newPage();
    const list = new FlowListPage(page);
    await list.open();
    await list.row(flow.id).waitFor();
    expect(await list.row(flow.id).innerText()).toMatch(/v1/);
    await screenshot(page, 'flow-list');
    await page.getByTestId(`open-${flow.id}`).click();
    const ed = new EditorPage(page);
    await ed.waitReady();
    await poll(() => ed.nodes().count()).toBe(flow.nodes.length + 1);
    await page.getByTestId('validation-ok').waitFor();
    expect(await page.getByTestId('saved-state').isVisible()).toBe(true);

    await page.getByTestId('tab-dryrun').click();
    await page.getByTestId('dryrun-run').click();
    const pathText = await page.getByTestId('dryrun-path').innerText();
    const path = pathText.split(' → ');
    expect(path[0]).toBe('trigger');
    expect(path.length).toBeGreaterThan(2);
    for (const id of path) expect(await ed.node(id).getAttribute('data-onpath')).toBe('true');
    const off = flow.nodes.map((n) => n.id).filter((id) => !path.includes(id));
    if (off.length) expect(await ed.node(off[0]!).getAttribute('data-onpath')).toBe('false');
    await poll(() => page.locator('.react-flow__edge.on-path').count()).toBe(path.length - 1);

    // a payload that breaks the contract lists the errors
    await page.getByTestId('dryrun-payload').fill('{"nope": true}');
    await page.getByTestId('dryrun-run').click();
    await page.getByTestId('dryrun-contract-errors').waitFor();
    await page.getByTestId('dryrun-payload').fill(JSON.stringify(flow.samples?.[0]?.payload ?? {}));
    await page.getByTestId('dryrun-run').click();
    await ed.select(path[1]!);
    await screenshot(page, 'editor-dry-run');

    // Tidy up (elkjs, under the CSP) moves nodes and saves their positions in layout
    const before = await ed.node('trigger').evaluate((el) => (el.closest('.react-flow__node') as HTMLElement).style.transform);
    await page.getByTestId('tidy').click();
    await poll(() => ed.node('trigger').evaluate((el) => (el.closest('.react-flow__node') as HTMLElement).style.transform)).not.toBe(before);
    await ed.waitDraftSaved();
    const draft = await page.evaluate((id) => JSON.parse(localStorage.getItem(`flowdesk:draft:${id}`) ?? 'null'), flow.id);
    expect(Object.keys(draft.flow.layout).sort()).toEqual(['trigger', ...flow.nodes.map((n) => n.id)].sort());
    await screenshot(page, 'editor-tidy');
    expect(errors).toEqual([]);
  });
});
