// Browser end-to-end: building a flow on the canvas, undo/redo, and drafts that survive a reload.
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

describe('editor', { timeout: 120_000 }, () => {
  it('(1) builds a flow by drag and drop, connects it, sets a threshold of 70, and the validation error disappears', async () => {
    const { page, errors } = await app.newPage();
    const list = new FlowListPage(page);
    await list.open();
    await list.createFlow('Lead intake');
    const ed = new EditorPage(page);
    await ed.waitReady();

    await ed.dragFromPalette('route', 0.68, 0.06);
    await ed.dragFromPalette('action:email.send', 0.68, 0.6);
    await poll(() => ed.nodes().count()).toBe(3);
    await ed.node('route').waitFor();
    await ed.node('email-send').waitFor();

    await ed.connect('trigger', 'out', 'route');
    await ed.connect('route', 'yes', 'email-send');
    await poll(() => ed.edges().count()).toBe(2);

    // a refused connection says why
    await ed.connect('route', 'no', 'trigger');
    await poll(() => page.getByTestId('connection-refused').textContent()).toMatch(/into the trigger/);
    await poll(() => ed.edges().count()).toBe(2);

    // the new route rule has no threshold yet: an error pinned to the node
    await ed.openPanel('problems');
    const thresholdError = page.locator('[data-testid="validation-error"][data-node="route"]', { hasText: 'needs a number' });
    await poll(() => thresholdError.count()).toBe(1);
    await poll(() => page.getByTestId('node-error-route').isVisible()).toBe(true);
    const before = await ed.validationErrors().count();

    await ed.select('route');
    await ed.setThreshold(0, 70);
    await poll(() => thresholdError.count()).toBe(0);
    await poll(() => ed.validationErrors().count()).toBe(before - 1);

    // the rule is stored as JSON-Logic with 70 a number
    await ed.waitDraftSaved();
    const draft = await page.evaluate(() => JSON.parse(localStorage.getItem('flowdesk:draft:lead-intake') ?? 'null'));
    const route = draft.flow.nodes.find((n: { id: string }) => n.id === 'route');
    expect(route.rules[0].when).toEqual({ '>=': [{ var: 'vars.score' }, 70] });
    expect(draft.flow.edges).toEqual([
      { from: 'trigger', to: 'route' },
      { from: 'route', port: 'yes', to: 'email-send' },
    ]);
    // Deploy stays disabled while the flow is invalid (ports still unwired)
    expect(await page.getByTestId('deploy').isDisabled()).toBe(true);
    await screenshot(page, '1-build-flow');
    expect(errors).toEqual([]);
  });

  it('(4) undoes and redoes a node deletion', async () => {
    const { page, errors } = await app.newPage();
    const list = new FlowListPage(page);
    await list.open();
    await list.createFlow('Undo test');
    const ed = new EditorPage(page);
    await ed.waitReady();
    await ed.addFromPalette('route');
    // nothing selected: click-to-add places the end without connecting it (that is the next undo step)
    await page.locator('.react-flow__pane').click({ position: { x: 5, y: 5 } });
    await poll(() => page.locator('.react-flow__node.selected').count()).toBe(0);
    await ed.addFromPalette('end');
    await ed.node('end').waitFor();
    expect(await ed.edges().count()).toBe(0);
    await ed.connect('route', 'yes', 'end');
    await poll(() => ed.edges().count()).toBe(1);

    await ed.select('route');
    await page.keyboard.press('Delete');
    await poll(() => ed.node('route').count()).toBe(0);
    await poll(() => ed.edges().count()).toBe(0);

    await page.keyboard.press('Control+z');
    await poll(() => ed.node('route').count()).toBe(1);
    await poll(() => ed.edges().count()).toBe(1);

    await page.keyboard.press('Control+Shift+z');
    await poll(() => ed.node('route').count()).toBe(0);
    await poll(() => ed.edges().count()).toBe(0);

    // the toolbar buttons do the same; selection changes are not undo steps
    await page.getByTestId('undo').click();
    await poll(() => ed.node('route').count()).toBe(1);
    await ed.select('end');
    await ed.select('trigger');
    await page.getByTestId('undo').click(); // undoes the connection, not the selection changes
    await poll(() => ed.edges().count()).toBe(0);
    expect(await ed.node('route').count()).toBe(1);
    expect(await ed.node('end').count()).toBe(1);
    await page.getByTestId('redo').click();
    await poll(() => ed.edges().count()).toBe(1);
    // copy/paste and duplicate give fresh ids; one undo step each
    await ed.select('route');
    await page.keyboard.press('Control+c');
    await page.keyboard.press('Control+v');
    await ed.node('route-2').waitFor();
    await page.keyboard.press('Control+d');
    await ed.node('route-3').waitFor();
    await page.keyboard.press('Control+z');
    await poll(() => ed.node('route-3').count()).toBe(0);
    expect(await ed.node('route-2').count()).toBe(1);
    await screenshot(page, '4-undo-redo');
    expect(errors).toEqual([]);
  });

  it('(5) restores an unsaved draft after a reload', async () => {
    const { page, errors } = await app.newPage();
    const list = new FlowListPage(page);
    await list.open();
    await list.createFlow('Draft test');
    const ed = new EditorPage(page);
    await ed.waitReady();
    // an untouched new flow is not announced as a restored draft (the autosave has run over it)
    await ed.waitAutosaveIdle();
    await page.reload();
    await ed.waitReady();
    expect(await page.getByTestId('draft-restored').count()).toBe(0);

    await ed.addFromPalette('compute');
    await ed.addFromPalette('action:task.create');
    await ed.node('task-create').waitFor();
    await ed.connect('trigger', 'out', 'compute');
    await page.getByTestId('flow-title').fill('Draft test (edited)');
    await ed.waitDraftSaved();

    await page.reload();
    await ed.waitReady();
    await page.getByTestId('draft-restored').waitFor();
    expect(await ed.node('compute').count()).toBe(1);
    expect(await ed.node('task-create').count()).toBe(1);
    await poll(() => ed.edges().count()).toBe(2); // trigger → compute, and compute → task (click-to-add from the selected compute)
    expect(await page.getByTestId('flow-title').inputValue()).toBe('Draft test (edited)');
    expect(await page.getByTestId('unsaved').isVisible()).toBe(true);
    // history starts afresh after a load
    expect(await page.getByTestId('undo').isDisabled()).toBe(true);
    await screenshot(page, '5-draft-restored');
    expect(errors).toEqual([]);
  });
});
