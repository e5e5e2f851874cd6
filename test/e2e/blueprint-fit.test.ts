// Browser end-to-end (issue 14, item 6): every shipped blueprint opens on 1440×900, in the editor as a
// newcomer first sees it (default panels: palette shown, side panel closed until a selection, bottom
// panel collapsed to its tabs), laid out left to right with every node title readable at fit view: its
// rendered size, CSS font-size × the viewport's zoom, is at least 9 px, no two titles overlap, every
// node is inside the canvas and none under the minimap. The fit button and Tidy up (which re-fits and
// keeps a long flow left to right, wrapped into rows) keep that; 1024×700 stays usable.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import type { Flow } from '@flowdesk/schema';
import { poll, screenshot, startApp, type App } from './helpers/app.ts';
import { ROOT } from './helpers/build.ts';
import { EditorPage } from './pages/EditorPage.ts';

const READABLE_PX = 9;
const blueprints = readdirSync(join(ROOT, 'flows'))
  .filter((f) => f.endsWith('.json'))
  .map((f) => JSON.parse(readFileSync(join(ROOT, 'flows', f), 'utf8')) as Flow)
  .filter((doc) => Array.isArray(doc.nodes)); // state-map.json is not a flow

let app: App;
beforeAll(async () => {
  app = await startApp();
  for (const flow of blueprints) {
    const put = await fetch(`${app.url}/api/flows/${flow.id}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(flow) });
    expect(put.status, flow.id).toBe(200);
  }
});
afterAll(async () => {
  await app?.close();
});

async function open(page: Page, flow: Flow): Promise<EditorPage> {
  const ed = new EditorPage(page);
  await page.goto(`/flows/${flow.id}`);
  await ed.waitReady();
  await poll(() => ed.nodes().count()).toBe(flow.nodes.length + 1);
  return ed;
}

/** Waits for the viewport to stop moving, then reads its zoom, the canvas, the minimap and every node's box and title. */
const measure = (page: Page) =>
  page.evaluate(async () => {
    const read = () => document.querySelector<HTMLElement>('.react-flow__viewport')!.style.transform;
    let last = '';
    for (let same = 0; same < 3; ) {
      await new Promise((r) => setTimeout(r, 100));
      const now = read();
      same = now === last && /scale/.test(now) ? same + 1 : 0;
      last = now;
    }
    const zoom = Number(/scale\(([\d.e-]+)\)/.exec(last)![1]);
    const box = (el: Element) => {
      const b = el.getBoundingClientRect();
      return { left: b.left, top: b.top, right: b.right, bottom: b.bottom };
    };
    const nodes = [...document.querySelectorAll<HTMLElement>('.react-flow__node')].map((n) => {
      const title = n.querySelector<HTMLElement>('.fd-node-title');
      return {
        id: n.getAttribute('data-id')!,
        box: box(n),
        title: title ? box(title) : null,
        fontPx: title ? parseFloat(getComputedStyle(title).fontSize) * zoom : null,
        text: title?.textContent ?? '',
      };
    });
    const mm = document.querySelector('.react-flow__minimap');
    return { zoom, nodes, canvas: box(document.querySelector('[data-testid="canvas"]')!), minimap: mm ? box(mm) : null, side: document.querySelectorAll('[data-testid="side-panel"]').length };
  });

type View = Awaited<ReturnType<typeof measure>>;
type Box = View['canvas'];
const overlaps = (a: Box, b: Box) => a.right > b.left && a.left < b.right && a.bottom > b.top && a.top < b.bottom;

/** Readable at fit view: every title ≥ 9 px, no two titles overlap, every node inside the canvas, none under the minimap. */
function expectReadable(id: string, view: View): void {
  for (const n of view.nodes) {
    expect(n.fontPx, `${id}/${n.id} has a title`).not.toBeNull();
    expect(n.fontPx!, `${id}/${n.id} "${n.text}" renders at ${n.fontPx!.toFixed(1)} px (zoom ${view.zoom.toFixed(2)})`).toBeGreaterThanOrEqual(READABLE_PX);
    const c = view.canvas;
    expect(n.box.left >= c.left && n.box.right <= c.right && n.box.top >= c.top && n.box.bottom <= c.bottom, `${id}/${n.id} is inside the canvas`).toBe(true);
    if (view.minimap) expect(overlaps(n.box, view.minimap), `${id}/${n.id} is not under the minimap`).toBe(false);
  }
  const titles = view.nodes.filter((n) => n.title);
  for (const [i, a] of titles.entries()) for (const b of titles.slice(i + 1)) expect(overlaps(a.title!, b.title!), `${id}: titles of ${a.id} and ${b.id} overlap`).toBe(false);
}

/** Left to right: no node starts left of the trigger, and every edge goes right or down to a later row. */
function expectLeftToRight(flow: Flow, view: View): void {
  const at = new Map(view.nodes.map((n) => [n.id, n.box]));
  const trigger = at.get('trigger')!;
  for (const n of view.nodes) expect(n.box.left, `${flow.id}: ${n.id} starts left of the trigger`).toBeGreaterThanOrEqual(trigger.left - 0.5);
  for (const e of flow.edges) {
    const a = at.get(e.from)!, b = at.get(e.to)!;
    if (e.from === e.to) continue;
    expect(b.left > a.left || b.top >= a.bottom, `${flow.id}: ${e.from} → ${e.to} goes right or to a later row`).toBe(true);
  }
}

describe('shipped blueprints at fit view on 1440×900', { timeout: 240_000 }, () => {
  it('finds the blueprints', () => {
    expect(blueprints.length).toBeGreaterThanOrEqual(10);
  });

  it('as a newcomer first sees the editor: every title readable, left to right, on opening and after the fit button', async () => {
    const { page, errors } = await app.newPage();
    for (const flow of blueprints) {
      await open(page, flow);
      // the default panels: palette shown, no side panel without a selection, the bottom panel collapsed to its tabs
      await page.getByTestId('palette').waitFor();
      expect(await page.getByTestId('side-panel').count()).toBe(0);
      expect(await page.getByTestId('bottom-panel').getAttribute('data-open')).toBe('false');
      const view = await measure(page);
      expect(view.minimap, 'the minimap is shown').not.toBeNull();
      expectReadable(flow.id, view);
      expectLeftToRight(flow, view);
      await screenshot(page, `blueprint-fit-${flow.id}`);
      await page.locator('.react-flow__controls-fitview').click();
      const again = await measure(page);
      expect(again.zoom, `${flow.id}: the fit button gives the same view`).toBeCloseTo(view.zoom, 2);
    }
    expect(errors).toEqual([]);
  });

  it('Tidy up re-fits the view and keeps the blueprints left to right and readable (a long one wrapped into rows)', async () => {
    const { page, errors } = await app.newPage();
    // the long ones (Tidy up's wrapping is what keeps them readable) and a short one
    const tidied = ['invoicing-collections', 'lead-qualification', 'delivery-ops', 'client-onboarding', 'payment-received'];
    for (const flow of blueprints.filter((f) => tidied.includes(f.id))) {
      const ed = await open(page, flow);
      const before = await page.evaluate(() => document.querySelector<HTMLElement>('.react-flow__viewport')!.style.transform);
      // moved away first: the re-fit has to bring the whole flow back
      await page.locator('.react-flow__controls-zoomin').click();
      await page.locator('.react-flow__controls-zoomin').click();
      await poll(() => page.evaluate(() => document.querySelector<HTMLElement>('.react-flow__viewport')!.style.transform)).not.toBe(before);
      await page.getByTestId('tidy').click();
      await ed.waitDraftSaved();
      const view = await measure(page);
      expectReadable(`${flow.id} (tidied)`, view);
      expectLeftToRight(flow, view);
      if (flow.id === 'invoicing-collections') {
        const rows = new Set(view.nodes.map((n) => Math.round(n.box.top / 40)));
        expect(rows.size, 'the long flow is wrapped into rows').toBeGreaterThan(2);
        await screenshot(page, `blueprint-tidy-${flow.id}`);
      }
    }
    expect(errors).toEqual([]);
  });

  it('1024×700 stays usable: the toolbar fits, the whole flow is on the canvas, a selection opens the side panel beside it', async () => {
    const { page, errors } = await app.newPage();
    await page.setViewportSize({ width: 1024, height: 700 });
    const flow = blueprints.find((f) => f.id === 'lead-qualification')!;
    const ed = await open(page, flow);
    expect(await page.getByTestId('deploy').isVisible()).toBe(true);
    const view = await measure(page);
    expect(view.canvas.right - view.canvas.left).toBeGreaterThanOrEqual(800);
    expect(view.canvas.bottom - view.canvas.top).toBeGreaterThanOrEqual(450);
    for (const n of view.nodes) expect(n.box.left >= view.canvas.left && n.box.right <= view.canvas.right && n.box.top >= view.canvas.top && n.box.bottom <= view.canvas.bottom, `${n.id} is on the canvas`).toBe(true);
    expect(await page.getByTestId('tab-problems').isVisible()).toBe(true);
    await ed.select('trigger');
    const side = (await page.getByTestId('side-panel').boundingBox())!;
    const canvas = (await ed.canvas.boundingBox())!;
    expect(side.x + side.width).toBeLessThanOrEqual(1024);
    expect(canvas.width).toBeGreaterThanOrEqual(450);
    await screenshot(page, 'blueprint-fit-1024');
    expect(errors).toEqual([]);
  });
});
