// Browser end-to-end (issue 14, item 7, the parts done): palette search (Enter adds the first match),
// click-to-add hangs the new node off the selected one, repeated pastes never land on each other, and
// the dark theme follows the system setting.
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
const draftOf = (ed: EditorPage, id: string) => ed.page.evaluate((k) => JSON.parse(localStorage.getItem(`flowdesk:draft:${k}`) ?? 'null'), id);

describe('palette and canvas', { timeout: 120_000 }, () => {
  it('searches the palette, adds connected nodes by click and Enter, and offsets each paste', async () => {
    const { page, errors } = await app.newPage();
    const list = new FlowListPage(page);
    await list.open();
    await list.createFlow('Palette');
    const ed = new EditorPage(page);
    await ed.waitReady();

    await page.getByTestId('palette-search').fill('send e-mail');
    await poll(() => page.locator('[data-testid^="palette-"].fd-palette-item').count()).toBe(1);
    expect(await page.getByTestId('palette-action:email.send').isVisible()).toBe(true);
    await page.getByTestId('palette-search').fill('zzz');
    await page.getByText('Nothing matches').waitFor();

    // the trigger selected: click-to-add connects it to the new node
    await ed.select('trigger');
    await page.getByTestId('palette-search').fill('route');
    const fits = await ed.signalCount('view-fit');
    await page.getByTestId('palette-search').press('Enter');
    await ed.node('route').waitFor();
    await ed.waitSignal('view-fit', fits);
    expect(await page.getByTestId('palette-search').inputValue()).toBe('');
    await ed.addFromPalette('end'); // the route is selected now: its first free port ("yes") leads to the end
    await ed.addFromPalette('end'); // still... the new end is selected and has no outputs: not connected
    await ed.select('route');
    await ed.addFromPalette('end'); // the route's next free port ("no")
    await poll(() => ed.edges().count()).toBe(3);
    await ed.waitDraftSaved();
    expect((await draftOf(ed, 'palette')).flow.edges).toEqual([
      { from: 'trigger', to: 'route' },
      { from: 'route', port: 'yes', to: 'end' },
      { from: 'route', port: 'no', to: 'end-3' },
    ]);

    // copy once, paste twice: each paste lands further off, never on top of the last
    await ed.select('end-2');
    await page.keyboard.press('Control+c');
    await page.keyboard.press('Control+v');
    await ed.node('end-4').waitFor();
    await page.keyboard.press('Control+v');
    await ed.node('end-5').waitFor();
    await ed.waitDraftSaved();
    const layout = (await draftOf(ed, 'palette')).flow.layout as Record<string, { x: number; y: number }>;
    expect(layout['end-4']).toEqual({ x: layout['end-2']!.x + 40, y: layout['end-2']!.y + 40 });
    expect(layout['end-5']).toEqual({ x: layout['end-2']!.x + 80, y: layout['end-2']!.y + 80 });
    expect(errors).toEqual([]);
  });

  it('follows the system dark setting', async () => {
    const { page, errors } = await app.newPage();
    await page.emulateMedia({ colorScheme: 'dark' });
    const list = new FlowListPage(page);
    await list.open();
    await list.createFlow('Dark');
    const ed = new EditorPage(page);
    await ed.waitReady();
    const luminance = (css: string) => {
      const [r, g, b] = css.match(/\d+/g)!.map(Number);
      return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
    };
    expect(luminance(await ed.node('trigger').evaluate((el) => getComputedStyle(el).backgroundColor))).toBeLessThan(60);
    expect(luminance(await ed.node('trigger').evaluate((el) => getComputedStyle(el).color))).toBeGreaterThan(180);
    await screenshot(page, 'dark-theme');
    await page.emulateMedia({ colorScheme: 'light' });
    expect(luminance(await ed.node('trigger').evaluate((el) => getComputedStyle(el).backgroundColor))).toBeGreaterThan(240);
    expect(errors).toEqual([]);
  });
});
