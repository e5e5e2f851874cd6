// Browser end-to-end (issue 14, item 6): every shipped blueprint opens on 1440×900 laid out left to right
// (the trigger is the left-most node), and at fit view with the panels collapsed (palette, side and
// bottom: "room to work") every node title is readable: its rendered size, CSS font-size × the
// viewport's zoom, is at least 9 px.
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

async function open(page: Page, flow: Flow): Promise<void> {
  const ed = new EditorPage(page);
  await page.goto(`/flows/${flow.id}`);
  await ed.waitReady();
  await poll(() => ed.nodes().count()).toBe(flow.nodes.length + 1);
}

/** Waits for the viewport to stop moving, then reads its zoom and every node's title size and left edge. */
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
    const nodes = [...document.querySelectorAll<HTMLElement>('.react-flow__node')].map((n) => {
      const title = n.querySelector<HTMLElement>('.fd-node-title');
      return {
        id: n.getAttribute('data-id')!,
        left: n.getBoundingClientRect().left,
        fontPx: title ? parseFloat(getComputedStyle(title).fontSize) * zoom : null,
        text: title?.textContent ?? '',
      };
    });
    return { zoom, nodes };
  });

type View = Awaited<ReturnType<typeof measure>>;

function expectLeftToRight(id: string, view: View): void {
  const trigger = view.nodes.find((n) => n.id === 'trigger')!;
  const others = view.nodes.filter((n) => n.id !== 'trigger');
  expect(Math.min(...others.map((n) => n.left)), `${id}: the trigger is the left-most node`).toBeGreaterThan(trigger.left);
}

describe('shipped blueprints at fit view on 1440×900', { timeout: 120_000 }, () => {
  it('finds the blueprints', () => {
    expect(blueprints.length).toBeGreaterThanOrEqual(10);
  });

  it('opens each one left to right (the trigger is the left-most node)', async () => {
    const { page, errors } = await app.newPage();
    for (const flow of blueprints) {
      await open(page, flow);
      expectLeftToRight(flow.id, await measure(page));
    }
    expect(errors).toEqual([]);
  });

  it('with the panels collapsed, fit view shows every node title at 9 px or more, left to right', async () => {
    const { page, errors } = await app.newPage();
    for (const flow of blueprints) {
      await open(page, flow);
      for (const panel of ['palette', 'side', 'bottom']) {
        const toggle = page.getByTestId(`toggle-${panel}`);
        if ((await toggle.getAttribute('aria-pressed')) === 'true') await toggle.click();
        await poll(() => toggle.getAttribute('aria-pressed')).toBe('false');
      }
      await page.locator('.react-flow__controls-fitview').click();
      const view = await measure(page);
      for (const n of view.nodes) {
        expect(n.fontPx, `${flow.id}/${n.id} has a title`).not.toBeNull();
        expect(n.fontPx!, `${flow.id}/${n.id} "${n.text}" renders at ${n.fontPx!.toFixed(1)} px (zoom ${view.zoom.toFixed(2)})`).toBeGreaterThanOrEqual(READABLE_PX);
      }
      expectLeftToRight(flow.id, view);
      await screenshot(page, `blueprint-fit-${flow.id}`);
    }
    expect(errors).toEqual([]);
  });
});
