// Browser end-to-end (issue 17): a code node edited in the code editor (CodeMirror: line numbers, the
// variables this step can read offered as completions), dry-run in the editor — its result, and the
// error it throws shown on the step — then deployed: the runtime's run stores the same result.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Run } from '@flowdesk/schema';
import { poll, screenshot, startApp, type App } from './helpers/app.ts';
import { FlowForms } from './pages/FlowForms.ts';
import { newFlow } from './pages/FlowListPage.ts';

let app: App;
beforeAll(async () => {
  app = await startApp();
});
afterAll(async () => {
  await app?.close();
});


const SOURCE = ['const lines = input.payload.lines;', 'if (lines.length === 0) throw new Error("an order needs lines");', 'return { count: lines.length, total: lines.reduce((s, l) => s + l.qty * l.price, 0) };'].join('\n');

describe('a code node in the editor', { timeout: 120_000 }, () => {
  it('is written in the code editor, dry-runs with its result and its thrown error, and the deployed run stores the same result', async () => {
    const { page, errors } = await app.newPage();
    const ed = await newFlow(page, 'order-total', 'Order total');
    // a sample payload in the flow's settings: the picker and the dry run use it
    await ed.openSettings();
    await page.getByTestId('flow-samples').fill(JSON.stringify([{ name: 'two lines', payload: { lines: [{ sku: 'a', qty: 2, price: 5 }, { sku: 'b', qty: 1, price: 7 }] } }]));
    await ed.dragFromPalette('code', 0.4, 0.3);
    await ed.dragFromPalette('end', 0.7, 0.3);
    await ed.connect('trigger', 'out', 'code');
    await ed.connect('code', 'out', 'end');
    await poll(() => ed.edges().count()).toBe(2);

    await ed.select('code');
    const editor = page.getByTestId('code-source');
    await poll(() => editor.getAttribute('data-ready')).toBe('true');
    expect(await editor.locator('.cm-lineNumbers').count()).toBe(1);
    // the variable picker: what this step can read, from the sample
    const content = editor.locator('.cm-content');
    await content.click();
    await page.keyboard.press('ControlOrMeta+a');
    await page.keyboard.type('input.payload.li');
    await page.keyboard.press('Control+Space');
    const option = page.locator('.cm-tooltip-autocomplete li', { hasText: 'input.payload.lines' }).first();
    await option.waitFor();
    expect(await page.locator('.cm-tooltip-autocomplete').innerText()).toContain('sample “two lines”');
    await page.keyboard.press('Escape');
    await content.fill(SOURCE);
    await poll(() => editor.locator('.cm-line').count()).toBe(3);
    await page.getByTestId('validation-ok').waitFor();
    await ed.waitDraftSaved();
    const draft = await page.evaluate(() => JSON.parse(localStorage.getItem('flowdesk:draft:order-total') ?? 'null'));
    expect(draft.flow.nodes.find((n: { id: string }) => n.id === 'code').source).toBe(SOURCE);
    await screenshot(page, 'code-editor');

    // dry run on the sample: the code ran (in the runtime's sandbox) and its result is shown on the step
    const forms = new FlowForms(page);
    await forms.dryRun({ lines: [{ sku: 'a', qty: 2, price: 5 }, { sku: 'b', qty: 1, price: 7 }] });
    const step = page.locator('[data-testid="dryrun-step"][data-node="code"]');
    await poll(() => step.getAttribute('data-status')).toBe('succeeded');
    expect(JSON.parse(await step.getByTestId('dryrun-step-output').innerText())).toEqual({ count: 2, total: 17 });
    expect(await page.getByTestId('dryrun-status').innerText()).toBe('succeeded');

    // an order without lines: the error the code throws is the step's
    await forms.dryRun({ lines: [] });
    await poll(() => step.getAttribute('data-status')).toBe('failed');
    expect(await step.getByTestId('dryrun-step-error').innerText()).toContain('an order needs lines');
    expect(await page.getByTestId('dryrun-status').innerText()).not.toBe('succeeded');
    await screenshot(page, 'code-dry-run-error');

    // deployed, the runtime's run gives what the dry run showed
    await ed.deploy();
    const res = await fetch(`${app.url}/hooks/order-total`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ lines: [{ sku: 'a', qty: 2, price: 5 }, { sku: 'b', qty: 1, price: 7 }] }) });
    const { runId } = (await res.json()) as { runId: string };
    await poll(async () => ((await (await fetch(`${app.url}/api/runs/${runId}`)).json()) as Run).status).toBe('succeeded');
    const run = (await (await fetch(`${app.url}/api/runs/${runId}`)).json()) as Run;
    expect(run.steps.find((s) => s.nodeId === 'code')?.output).toEqual({ count: 2, total: 17 });
    expect(errors).toEqual([]);
  });
});
