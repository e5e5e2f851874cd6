// Browser end-to-end: export a flow, import the file into a new flow, compare; invalid imports.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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

describe('import and export', { timeout: 120_000 }, () => {
  it('(2) exports a flow, imports the file into a new flow, and the JSON is the same', async () => {
    const { page, errors } = await app.newPage();
    const list = new FlowListPage(page);
    await list.open();
    await list.createFlow('Export me');
    const ed = new EditorPage(page);
    await ed.waitReady();
    await ed.addFromPalette('action:email.send');
    await ed.addFromPalette('end');
    await ed.node('end').waitFor();
    await ed.connect('trigger', 'out', 'email-send');
    await ed.connect('email-send', 'ok', 'end');
    await page.getByTestId('validation-ok').waitFor();

    const first = await ed.exportFlow();
    expect(first.name).toBe('export-me.json');
    const doc = first.json as { id: string; nodes: { id: string }[]; edges: unknown[]; layout: Record<string, unknown> };
    expect(doc).toMatchObject({ dsl: 1, id: 'export-me', name: 'Export me' });
    expect(doc.nodes.map((n) => n.id)).toEqual(['email-send', 'end']);
    // (click-to-add already hung the end off the selected e-mail node; the drag to it connects nothing new)
    expect(doc.edges).toHaveLength(2);
    expect(doc.edges).toEqual(expect.arrayContaining([{ from: 'trigger', to: 'email-send' }, { from: 'email-send', port: 'ok', to: 'end' }]));
    expect(Object.keys(doc.layout).sort()).toEqual(['email-send', 'end', 'trigger']);

    // import the file from the flow list: "export-me" is taken, so it becomes a new flow "export-me-2"
    await list.open();
    await list.importFile(first.path);
    await ed.waitReady();
    expect(new URL(page.url()).pathname).toBe('/flows/export-me-2');
    await ed.node('email-send').waitFor();
    const second = await ed.exportFlow();
    expect(second.name).toBe('export-me-2.json');
    expect(second.json).toEqual({ ...doc, id: 'export-me-2' });

    // and into the same flow from the editor: import(export(flow)) deep-equals flow
    await ed.importFile(second.path);
    const third = await ed.exportFlow();
    expect(third.json).toEqual(second.json);

    // a valid file dropped on the canvas replaces the document (one undo step)
    const edited = { ...(second.json as object), name: 'Dropped in' };
    await ed.dropFile('export-me-2.json', JSON.stringify(edited));
    await poll(() => page.getByTestId('flow-title').inputValue()).toBe('Dropped in');
    expect((await ed.exportFlow()).json).toEqual(edited);
    await page.keyboard.press('Control+z');
    await poll(() => page.getByTestId('flow-title').inputValue()).toBe('Export me');
    await screenshot(page, '2-export-import');
    expect(errors).toEqual([]);
  });

  it('(6) an invalid import shows its errors and changes nothing', async () => {
    const { page, errors } = await app.newPage();
    const dir = mkdtempSync(join(tmpdir(), 'flowdesk-bad-'));
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ dsl: 1, id: 'Not An Id', trigger: { type: 'webhook' }, nodes: [{ id: 'x', type: 'teleport' }], edges: [{ from: 'trigger', to: 'nowhere' }] }));
    const notJson = join(dir, 'not.json');
    writeFileSync(notJson, '{ this is not json');

    const list = new FlowListPage(page);
    await list.open();
    await list.createFlow('Keep me');
    const ed = new EditorPage(page);
    await ed.waitReady();
    await ed.addFromPalette('end');
    await ed.node('end').waitFor();
    await ed.waitDraftSaved();
    const draftBefore = await page.evaluate(() => localStorage.getItem('flowdesk:draft:keep-me'));

    await ed.importFile(bad);
    await page.getByTestId('import-errors').waitFor();
    const items = await page.getByTestId('import-error-item').allInnerTexts();
    expect(items.length).toBeGreaterThanOrEqual(3);
    expect(items.join('\n')).toMatch(/name/);
    expect(items.join('\n')).toMatch(/id/);
    await screenshot(page, '6-invalid-import');
    await page.getByTestId('import-cancel').click();
    expect(await ed.nodes().count()).toBe(2);
    await ed.waitAutosaveIdle(); // an autosave a change would have scheduled has run
    expect(await page.evaluate(() => localStorage.getItem('flowdesk:draft:keep-me'))).toBe(draftBefore);

    // a file dropped on the canvas: the same checks
    await ed.dropFile('bad.json', readFileSync(bad, 'utf8'));
    await page.getByTestId('import-errors').waitFor();
    await poll(() => page.getByTestId('import-error-item').count()).toBeGreaterThanOrEqual(3);
    await page.getByTestId('import-cancel').click();
    expect(await ed.nodes().count()).toBe(2);

    // from the flow list: no new flow appears
    await list.open();
    await list.row('keep-me').waitFor();
    const rowsBefore = await page.locator('[data-testid^="flow-row-"]').count();
    await list.importFile(notJson);
    await page.getByTestId('import-errors').waitFor();
    expect(await page.getByTestId('import-error-item').first().innerText()).toMatch(/not JSON/);
    await page.getByTestId('import-file').setInputFiles(bad); // the dialog is still open
    await poll(() => page.getByTestId('import-error-item').count()).toBeGreaterThanOrEqual(3);
    await page.getByTestId('import-cancel').click();
    expect(await page.locator('[data-testid^="flow-row-"]').count()).toBe(rowsBefore);
    expect(new URL(page.url()).pathname).toBe('/');
    expect(errors).toEqual([]);
  });
});
