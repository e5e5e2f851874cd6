// Browser end-to-end (issue 14, item 7, the rest): the variable picker beside `{{ }}` fields and rule
// fields offers the contract's and the samples' payload fields and upstream steps' outputs, each with
// where it comes from, and inserts the pick; sticky notes on the canvas are kept in the layout, deployed
// and exported with the flow, imported back, left alone by Tidy up (which re-fits the view), and deleted.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Flow } from '@flowdesk/schema';
import { poll, screenshot, startApp, type App } from './helpers/app.ts';
import { FlowForms } from './pages/FlowForms.ts';
import { FlowListPage, newFlow } from './pages/FlowListPage.ts';

let app: App;
beforeAll(async () => {
  app = await startApp();
});
afterAll(async () => {
  await app?.close();
});

const stored = async (id: string) => (await (await fetch(`${app.url}/api/flows/${id}`)).json()) as Flow;

describe('variable picker and sticky notes', { timeout: 120_000 }, () => {
  it('the picker lists contract, sample and upstream variables with their source, and inserts the pick into a {{ }} field and a rule field', async () => {
    const { page, errors } = await app.newPage();
    const ed = await newFlow(page, 'picked', 'Picked');
    await ed.openSettings();
    await page.getByTestId('flow-samples').fill(JSON.stringify([{ name: 'lead', payload: { email: 'a@x.io', company: 'Acme' } }]));
    await ed.select('trigger');
    await new FlowForms(page).addContractFields([{ name: 'email', type: 'string', required: true }]);
    await ed.dragFromPalette('compute', 0.15, 0.1);
    await ed.dragFromPalette('route', 0.15, 0.6);
    await ed.dragFromPalette('action:http.request', 0.6, 0.1);
    await ed.dragFromPalette('end', 0.6, 0.6);
    await ed.connect('trigger', 'out', 'compute');
    await ed.connect('compute', 'out', 'route');
    await ed.connect('route', 'yes', 'http-request');
    await ed.connect('route', 'no', 'end');
    await ed.connect('http-request', 'ok', 'end');
    await poll(() => ed.edges().count()).toBe(5);

    await ed.select('http-request');
    await page.getByTestId('param-url').fill('https://crm.example/leads?company=');
    await page.getByTestId('param-url-pick').click();
    const picker = page.getByTestId('variable-picker');
    await picker.waitFor();
    const option = (path: string) => picker.locator(`[data-testid="variable-option"][data-path="${path}"]`);
    expect(await option('payload.email').innerText()).toContain('contract');
    expect(await option('payload.company').innerText()).toContain('sample “lead”');
    expect(await option('vars.score').innerText()).toContain('compute');
    expect(await option('steps.http-request.output').count()).toBe(0); // not its own output
    await screenshot(page, 'variable-picker');
    await page.getByTestId('variable-search').fill('comp');
    await poll(() => picker.getByTestId('variable-option').count()).toBe(2); // payload.company, and vars.score "from compute"
    await option('payload.company').click();
    expect(await page.getByTestId('param-url').inputValue()).toBe('https://crm.example/leads?company={{payload.company}}');

    // a rule field: the pick names the variable
    await ed.select('route');
    await page.getByTestId('rule-when-0').getByTestId('rule-field-pick').click();
    await picker.locator('[data-testid="variable-option"][data-path="vars.score"]').click();
    expect(await page.getByTestId('rule-when-0').getByTestId('rule-field').inputValue()).toBe('vars.score');
    await page.getByTestId('rule-when-0').getByTestId('rule-value').fill('50');
    await page.getByTestId('tab-problems').click();
    await poll(async () => (await page.getByTestId('validation-ok').count()) || (await page.getByTestId('validation-list').innerText())).toBe(1);
    await ed.deploy();
    const flow = await stored('picked');
    expect(flow.nodes.find((n) => n.id === 'http-request')).toMatchObject({ params: { url: 'https://crm.example/leads?company={{payload.company}}' } });
    expect(flow.nodes.find((n) => n.id === 'route')).toMatchObject({ rules: [{ port: 'yes', when: { '>=': [{ var: 'vars.score' }, 50] } }] });
    expect(errors).toEqual([]);
  });

  it('sticky notes: kept in the layout, deployed and exported, imported back, left alone by Tidy up, deleted with Delete', async () => {
    const { page, errors } = await app.newPage();
    const ed = await newFlow(page, 'noted', 'Noted');
    // the dropped node is selected and the side panel opens, narrowing the canvas: drop left of it
    await ed.dragFromPalette('end', 0.25, 0.8);
    await ed.connect('trigger', 'out', 'end');
    await page.getByTestId('add-note').click();
    const note = page.getByTestId('note-note:1');
    await note.waitFor();
    await page.getByTestId('note-text').fill('Ask Ada about VAT\nbefore the first invoice');
    await poll(() => note.innerText()).toBe('Ask Ada about VAT\nbefore the first invoice');
    await page.getByTestId('validation-ok').waitFor(); // a note is not a step: nothing to connect
    await ed.waitDraftSaved();
    const draft = await page.evaluate(() => JSON.parse(localStorage.getItem('flowdesk:draft:noted') ?? 'null'));
    expect(draft.flow.layout['note:1']).toMatchObject({ note: 'Ask Ada about VAT\nbefore the first invoice' });
    expect(draft.flow.nodes.map((n: { id: string }) => n.id)).toEqual(['end']);

    // Tidy up lays out the steps, leaves the note where it was, and fits everything in view
    const notePos = draft.flow.layout['note:1'];
    await page.getByTestId('tidy').click();
    await ed.waitDraftSaved();
    const canvas = (await ed.canvas.boundingBox())!;
    const inView = async (id: string) => {
      const b = (await page.getByTestId(id).boundingBox())!;
      return b.x >= canvas.x && b.y >= canvas.y && b.x + b.width <= canvas.x + canvas.width && b.y + b.height <= canvas.y + canvas.height;
    };
    for (const id of ['node-trigger', 'node-end', 'note-note:1']) await poll(() => inView(id)).toBe(true);
    const tidied = await page.evaluate(() => JSON.parse(localStorage.getItem('flowdesk:draft:noted') ?? 'null'));
    expect(tidied.flow.layout['note:1']).toEqual(notePos);

    await ed.deploy();
    expect((await stored('noted')).layout?.['note:1']).toEqual(notePos);
    const exported = await ed.exportFlow();
    expect((exported.json as Flow).layout?.['note:1']).toEqual(notePos);

    // imported as a new flow, the note is on its canvas
    const list = new FlowListPage(page);
    await list.open();
    await list.importFile(exported.path);
    await ed.waitReady();
    expect(new URL(page.url()).pathname).toBe('/flows/noted-2');
    await poll(() => page.getByTestId('note-note:1').innerText()).toContain('Ask Ada about VAT');
    await screenshot(page, 'sticky-note');

    // selected and deleted, it leaves the layout
    await page.getByTestId('note-note:1').click();
    await page.getByTestId('note-text').waitFor();
    await page.keyboard.press('Delete');
    await poll(() => page.getByTestId('note-note:1').count()).toBe(0);
    await ed.waitDraftSaved();
    const after = await page.evaluate(() => JSON.parse(localStorage.getItem('flowdesk:draft:noted-2') ?? 'null'));
    expect(after.flow.layout).not.toHaveProperty('note:1');
    expect(errors).toEqual([]);
  });
});
