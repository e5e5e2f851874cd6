// Browser end-to-end (issue 14, item 6, the parts done): palette, side panel, bottom panel and minimap
// can be hidden (kept across a reload), the editor stays usable at 1024×700, and the run view links
// back to the editor.
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
    const w0 = await width();
    const h0 = await height();
    expect(await page.getByTestId('deploy').isVisible()).toBe(true); // the toolbar fits at 1024 px

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
    await page.getByTestId('toggle-bottom').click();
    await poll(() => page.getByTestId('tab-problems').count()).toBe(0);
    await poll(width).toBeGreaterThan(w0 + 400);
    await poll(height).toBeGreaterThan(h0 + 150);
    await screenshot(page, 'room-collapsed');

    await page.reload();
    await ed.waitReady();
    expect(await page.getByTestId('palette').count()).toBe(0);
    expect(await minimap.count()).toBe(0);
    expect(JSON.parse((await page.evaluate(() => localStorage.getItem('flowdesk:panels')))!)).toEqual({ palette: false, side: false, bottom: false, minimap: false });
    for (const t of ['toggle-palette', 'toggle-side', 'toggle-minimap', 'toggle-bottom']) await page.getByTestId(t).click();
    await page.getByTestId('palette').waitFor();
    await minimap.waitFor();
    await page.getByTestId('tab-problems').waitFor();
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
