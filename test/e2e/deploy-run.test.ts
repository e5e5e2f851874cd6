// Browser end-to-end: deploy from the editor, a real webhook, the run on the canvas with its path.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { poll, screenshot, startApp, type App } from './helpers/app.ts';
import { EditorPage } from './pages/EditorPage.ts';
import { FlowListPage } from './pages/FlowListPage.ts';
import { RunsPage } from './pages/RunsPage.ts';

let app: App;
beforeAll(async () => {
  app = await startApp();
});
afterAll(async () => {
  await app?.close();
});

describe('deploy and runs', { timeout: 120_000 }, () => {
  it('(3) deploys, receives a webhook, and shows the run with its path highlighted', async () => {
    const { page, errors } = await app.newPage();
    const list = new FlowListPage(page);
    await list.open();
    await list.createFlow('Big orders');
    const ed = new EditorPage(page);
    await ed.waitReady();
    await ed.addFromPalette('route');
    await ed.addFromPalette('end');
    await ed.select('route');
    await ed.addFromPalette('end');
    await ed.node('end-2').waitFor();
    await ed.connect('trigger', 'out', 'route');
    await ed.connect('route', 'yes', 'end');
    await ed.connect('route', 'no', 'end-2');
    await ed.select('route');
    const rule = page.getByTestId('rule-when-0');
    await rule.getByTestId('rule-field').fill('payload.amount');
    await ed.setThreshold(0, 70);
    await page.getByTestId('validation-ok').waitFor();

    await ed.deploy();
    expect(await page.getByTestId('deploy-ok').innerText()).toMatch(/version 1/);
    await page.getByTestId('saved-state').waitFor();
    expect(await page.getByTestId('deployed-version').innerText()).toBe('v1');

    const res = await fetch(`${app.url}/hooks/big-orders`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ amount: 90 }) });
    expect(res.status).toBe(202);
    const { runId } = (await res.json()) as { runId: string };

    const runs = new RunsPage(page);
    await runs.open();
    await poll(() => page.locator(`[data-testid="run-row"][data-run="${runId}"]`).count(), { timeout: 15_000 }).toBe(1);
    // the filters: status and flow
    await page.getByTestId('runs-status-filter').selectOption('dead');
    await poll(() => page.locator(`[data-testid="run-row"][data-run="${runId}"]`).count()).toBe(0);
    await page.getByTestId('runs-status-filter').selectOption('succeeded');
    await page.getByTestId('runs-flow-filter').selectOption('big-orders');
    await poll(() => page.locator(`[data-testid="run-row"][data-run="${runId}"]`).count()).toBe(1);
    expect(new URL(page.url()).search).toBe('?status=succeeded&flowId=big-orders');
    await screenshot(page, 'runs');
    await runs.openRun(runId);
    await poll(() => runs.status().innerText(), { timeout: 15_000 }).toBe('succeeded');
    for (const id of ['trigger', 'route', 'end']) {
      await poll(() => runs.node(id).getAttribute('data-onpath')).toBe('true');
    }
    expect(await runs.node('end-2').getAttribute('data-onpath')).toBe('false');
    await poll(() => page.locator('.react-flow__edge.on-path').count()).toBe(2);
    await page.getByTestId('step-route').waitFor();
    await screenshot(page, '3-run-path');
    expect(errors).toEqual([]);
  });

  it('a deploy over a version deployed elsewhere since is refused, naming it; the owner opens that version or deploys over it knowingly', async () => {
    const { page, errors } = await app.newPage();
    const list = new FlowListPage(page);
    await list.open();
    await list.createFlow('Overtaken');
    const ed = new EditorPage(page);
    await ed.waitReady();
    await ed.addFromPalette('end');
    await ed.connect('trigger', 'out', 'end');
    await page.getByTestId('validation-ok').waitFor();
    await ed.deploy();
    expect(await page.getByTestId('deployed-version').innerText()).toBe('v1');

    // another tab deploys version 2 of the same flow
    const elsewhere = async () => {
      const doc = (await (await fetch(`${app.url}/api/flows/overtaken`)).json()) as Record<string, unknown>;
      const res = await fetch(`${app.url}/api/flows/overtaken`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ...doc, version: undefined, name: 'Changed elsewhere' }) });
      return ((await res.json()) as { version: number }).version;
    };
    expect(await elsewhere()).toBe(2);
    await page.getByTestId('deploy').click();
    await poll(() => page.getByTestId('editor-status').innerText()).toContain('Not deployed: version 2 was deployed elsewhere since version 1, which you are editing.');
    expect(((await (await fetch(`${app.url}/api/flows/overtaken`)).json()) as { name: string }).name).toBe('Changed elsewhere');
    await screenshot(page, 'deploy-overtaken');
    // knowingly over it
    await page.getByTestId('overtaken-replace').click();
    await poll(() => page.getByTestId('deploy-ok').innerText()).toMatch(/version 3 is live/);
    expect(((await (await fetch(`${app.url}/api/flows/overtaken`)).json()) as { name: string }).name).toBe('Overtaken');

    // again overtaken: this time the owner opens the version deployed elsewhere (the confirm is accepted)
    expect(await elsewhere()).toBe(4);
    await page.getByTestId('deploy').click();
    await page.getByTestId('overtaken-load').click();
    await poll(() => page.getByTestId('deployed-version').innerText()).toBe('v4');
    expect(errors).toEqual([]);
  });

  it('maps the runtime\'s 422 errors onto their nodes', async () => {
    const { page, errors } = await app.newPage();
    const list = new FlowListPage(page);
    await list.open();
    await list.createFlow('Ghost state');
    const ed = new EditorPage(page);
    await ed.waitReady();
    await ed.addFromPalette('end');
    await ed.connect('trigger', 'out', 'end');
    await ed.select('end');
    await page.getByTestId('end-entity').fill('ghost'); // the runtime's state map has no "ghost"
    await page.getByTestId('validation-ok').waitFor(); // the editor cannot know that
    await page.getByTestId('deploy').click();
    await page.getByTestId('editor-status').waitFor();
    expect(await page.getByTestId('editor-status').innerText()).toMatch(/refused/);
    const pinned = page.locator('[data-testid="validation-error"][data-node="end"]', { hasText: 'ghost' });
    await poll(() => pinned.count()).toBe(1);
    await poll(() => page.getByTestId('node-error-end').isVisible()).toBe(true);
    expect(await page.getByTestId('unsaved').isVisible()).toBe(true);
    await screenshot(page, '3b-deploy-422');
    // fixing it clears the runtime's errors and deploys
    await page.getByTestId('end-entity').fill('account');
    await poll(() => pinned.count()).toBe(0);
    expect(errors).toEqual([]);
  });
});
