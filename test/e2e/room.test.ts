// Browser end-to-end (issue 14, item 6, the parts done): palette, side panel, bottom panel and minimap
// can be hidden (kept across a reload); the side panel opens on a selection or the settings button and
// the bottom panel starts collapsed to its tabs; the editor stays usable at 1024×700, and the run view
// links back to the editor.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { poll, screenshot, startApp, type App } from './helpers/app.ts';
import { EditorPage } from './pages/EditorPage.ts';
import { FlowListPage } from './pages/FlowListPage.ts';

let app: App;
beforeAll(async () => {
  app = await startApp();
});
afterAll(async () => {
  await app?.close();
});

describe('room to work', { timeout: 120_000 }, () => {
  it('hides and shows the panels and the minimap, keeps the choice, and the canvas takes the room', async () => {
    const { page, errors } = await app.newPage();
    await page.setViewportSize({ width: 1024, height: 700 });
    const list = new FlowListPage(page);
    await list.open();
    await list.createFlow('Room');
    const ed = new EditorPage(page);
    await ed.waitReady();
    const width = async () => (await ed.canvas.boundingBox())!.width;
    const height = async () => (await ed.canvas.boundingBox())!.height;
    expect(await page.getByTestId('deploy').isVisible()).toBe(true); // the toolbar fits at 1024 px
    // as first seen: no side panel until something is selected, the bottom panel collapsed to its tabs
    expect(await page.getByTestId('side-panel').count()).toBe(0);
    expect(await page.getByTestId('bottom-panel').getAttribute('data-open')).toBe('false');
    await page.getByTestId('tab-problems').waitFor();
    const h0 = await height();
    await ed.select('trigger');
    const w0 = await width();

    const minimap = page.locator('.react-flow__minimap');
    expect(await minimap.count()).toBe(1);
    for (const [toggle, gone] of [
      ['toggle-palette', page.getByTestId('palette')],
      ['toggle-side', page.getByTestId('side-panel')],
      ['toggle-minimap', minimap],
    ] as const) {
      await page.getByTestId(toggle).click();
      await poll(() => gone.count()).toBe(0);
      expect(await page.getByTestId(toggle).getAttribute('aria-pressed')).toBe('false');
    }
    await poll(width).toBeGreaterThan(w0 + 400);
    // the bottom panel opens from the toolbar or a tab, and collapses again to its tabs
    await page.getByTestId('toggle-bottom').click();
    await page.getByTestId('validation-list').or(page.getByTestId('validation-ok')).first().waitFor();
    await poll(height).toBeLessThan(h0 - 150);
    await page.getByTestId('toggle-bottom').click();
    await poll(height).toBe(h0);
    await page.getByTestId('tab-versions').click();
    expect(await page.getByTestId('bottom-panel').getAttribute('data-open')).toBe('true');
    await poll(height).toBeLessThan(h0 - 150);
    await page.getByTestId('bottom-toggle').click();
    await poll(height).toBe(h0);
    await screenshot(page, 'room-collapsed');

    await page.reload();
    await ed.waitReady();
    expect(await page.getByTestId('palette').count()).toBe(0);
    expect(await minimap.count()).toBe(0);
    expect(JSON.parse((await page.evaluate(() => localStorage.getItem('flowdesk:panels')))!)).toEqual({ palette: false, side: false, bottom: false, minimap: false });
    await ed.node('trigger').locator('.fd-node-title').click();
    expect(await page.getByTestId('side-panel').count()).toBe(0); // hidden by choice: a selection does not open it
    for (const t of ['toggle-palette', 'toggle-side', 'toggle-minimap', 'toggle-bottom']) await page.getByTestId(t).click();
    await page.getByTestId('palette').waitFor();
    await page.getByTestId('side-panel').waitFor();
    await minimap.waitFor();
    expect(await page.getByTestId('bottom-panel').getAttribute('data-open')).toBe('true');
    // the flow's settings: the ⚙ button, with nothing selected
    await ed.openSettings();
    expect(await page.locator('.react-flow__node.selected').count()).toBe(0);
    await page.getByTestId('flow-settings').click();
    await poll(() => page.getByTestId('side-panel').count()).toBe(0);
    expect(errors).toEqual([]);
  });

  it('the run view links back to the flow in the editor', async () => {
    const flow = { dsl: 1, id: 'linked', name: 'Linked', trigger: { type: 'webhook', path: 'linked', auth: { type: 'none' } }, nodes: [{ id: 'done', type: 'end' }], edges: [{ from: 'trigger', to: 'done' }] };
    expect((await fetch(`${app.url}/api/flows/linked`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(flow) })).status).toBe(200);
    const { runId } = (await (await fetch(`${app.url}/hooks/linked`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })).json()) as { runId: string };
    const { page, errors } = await app.newPage();
    await page.goto(`/runs/${runId}`);
    await page.getByTestId('run-open-editor').click();
    const ed = new EditorPage(page);
    await ed.waitReady();
    expect(new URL(page.url()).pathname).toBe('/flows/linked');
    await ed.node('done').waitFor();
    expect(errors).toEqual([]);
  });
});
