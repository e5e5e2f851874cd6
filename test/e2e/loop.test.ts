// Browser end-to-end (issue 17): a loop built in the editor — foreach from the palette, its body an HTTP
// call per item, params set through the forms — deployed and run by a webhook; the run view shows each
// item with its result, and the receiver got one call per item with the per-item Idempotency-Key. And a
// flow.call run: the run view links the parent run to its child and back.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Run } from '@flowdesk/schema';
import { poll, screenshot, startApp, type App } from './helpers/app.ts';
import { newFlow } from './pages/FlowListPage.ts';
import { RunsPage } from './pages/RunsPage.ts';

let app: App;
let receiver: Server;
let receiverUrl = '';
const calls: { path: string; key: string; body: { sku?: string } }[] = [];

beforeAll(async () => {
  receiver = createServer((req, res) => {
    let raw = '';
    req.on('data', (c: Buffer) => (raw += c.toString()));
    req.on('end', () => {
      const body = JSON.parse(raw || '{}') as { sku?: string };
      calls.push({ path: req.url ?? '', key: String(req.headers['idempotency-key']), body });
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ sku: body.sku, price: (body.sku ?? '').length * 10 }));
    });
  });
  await new Promise<void>((ok) => receiver.listen(0, '127.0.0.1', ok));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  app = await startApp();
});
afterAll(async () => {
  await app?.close();
  receiver?.closeAllConnections();
  await new Promise<void>((ok) => (receiver ? receiver.close(() => ok()) : ok()));
});


const api = async <T>(path: string, init?: RequestInit): Promise<T> => (await (await fetch(`${app.url}${path}`, init)).json()) as T;
const put = (path: string, body: unknown) => fetch(`${app.url}${path}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

describe('loops and called flows in the editor', { timeout: 120_000 }, () => {
  it('builds a foreach in the editor, runs it on a webhook, and the run view shows every item and its result', async () => {
    const { page, errors } = await app.newPage();
    const ed = await newFlow(page, 'price-lines', 'Price lines');
    await ed.dragFromPalette('foreach', 0.35, 0.3);
    await ed.dragFromPalette('action:http.request', 0.55, 0.15);
    await ed.dragFromPalette('end', 0.8, 0.15);
    await ed.dragFromPalette('end', 0.55, 0.65);
    await ed.node('end-2').waitFor();
    await ed.connect('trigger', 'out', 'foreach');
    await ed.connect('foreach', 'item', 'http-request');
    await ed.connect('http-request', 'ok', 'end');
    await ed.connect('foreach', 'done', 'end-2');
    await poll(() => ed.edges().count()).toBe(4);

    // the loop's params through its form: the list as a path, two items at once
    await ed.select('foreach');
    await page.getByTestId('foreach-items').fill('payload.lines');
    await page.getByTestId('foreach-concurrency').fill('2');
    // the body: one call per item, with item and index in its params
    await ed.select('http-request');
    await page.getByTestId('param-url').fill(`${receiverUrl}/lines/{{index}}`);
    await page.getByTestId('param-body').fill('{"sku": "{{item.sku}}"}');
    // the body's end gives the item's result
    await ed.select('end');
    await page.getByTestId('end-output').fill('steps.http-request.output.body');
    await page.getByTestId('validation-ok').waitFor();
    await ed.waitDraftSaved();
    const draft = await page.evaluate(() => JSON.parse(localStorage.getItem('flowdesk:draft:price-lines') ?? 'null'));
    expect(draft.flow.nodes.find((n: { id: string }) => n.id === 'foreach')).toMatchObject({ type: 'foreach', items: { var: 'payload.lines' }, concurrency: 2 });
    expect(draft.flow.nodes.find((n: { id: string }) => n.id === 'end')).toMatchObject({ output: { var: 'steps.http-request.output.body' } });
    await ed.deploy();

    const sent = await fetch(`${app.url}/hooks/price-lines`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ lines: [{ sku: 'a' }, { sku: 'bb' }, { sku: 'ccc' }] }) });
    expect(sent.status).toBe(202);
    const { runId } = (await sent.json()) as { runId: string };
    await poll(async () => (await api<Run>(`/api/runs/${runId}`)).status).toBe('succeeded');

    // what the runtime stored and sent: three calls, one key per item, results in order
    const run = await api<Run>(`/api/runs/${runId}`);
    expect(run.steps.find((s) => s.nodeId === 'foreach')?.output).toEqual({ items: [{ sku: 'a', price: 10 }, { sku: 'bb', price: 20 }, { sku: 'ccc', price: 30 }], failed: [] });
    expect(calls.map((c) => c.key).sort()).toEqual([0, 1, 2].map((i) => `${runId}:http-request:${i}`));
    expect(calls.map((c) => `${c.path} ${c.body.sku}`).sort()).toEqual(['/lines/0 a', '/lines/1 bb', '/lines/2 ccc']);

    // what the user sees: the run, the loop's items with their status and result
    const runs = new RunsPage(page);
    await runs.open();
    await runs.openRun(runId);
    await poll(() => runs.status().innerText()).toBe('succeeded');
    // the loop body's nodes are lit too: the items went through them
    for (const id of ['foreach', 'http-request', 'end', 'end-2']) await poll(() => runs.node(id).getAttribute('data-onpath')).toBe('true');
    const items = page.getByTestId('step-foreach').getByTestId('loop-items');
    await items.waitFor();
    expect(await items.locator('summary').innerText()).toContain('3 item(s): 3 succeeded');
    for (const [i, sku] of ['a', 'bb', 'ccc'].entries()) {
      const row = items.getByTestId(`loop-item-${i}`);
      expect(await row.getAttribute('data-status')).toBe('succeeded');
      expect(await row.getByTestId('loop-item-result').innerText()).toBe(JSON.stringify({ sku, price: sku.length * 10 }));
    }
    await screenshot(page, 'loop-run-items');
    expect(errors).toEqual([]);
  });

  it('a flow.call run links to the run it called, and the called run links back', async () => {
    const child = { dsl: 1, id: 'quote', name: 'Quote', trigger: { type: 'manual' }, nodes: [{ id: 'answer', type: 'end', output: { cat: ['quote for ', { var: 'payload.who' }] } }], edges: [{ from: 'trigger', to: 'answer' }] };
    const parent = {
      dsl: 1, id: 'ask-quote', name: 'Ask for a quote', trigger: { type: 'webhook', path: 'ask-quote', auth: { type: 'none' } },
      nodes: [{ id: 'call', type: 'action', action: 'flow.call', params: { flowId: 'quote', payload: { who: '{{payload.who}}' } } }, { id: 'done', type: 'end' }],
      edges: [{ from: 'trigger', to: 'call' }, { from: 'call', port: 'ok', to: 'done' }],
    };
    expect((await put('/api/flows/quote', child)).status).toBe(200);
    expect((await put('/api/flows/ask-quote', parent)).status).toBe(200);
    const { runId } = (await (await fetch(`${app.url}/hooks/ask-quote`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ who: 'Ada' }) })).json()) as { runId: string };
    await poll(async () => (await api<Run>(`/api/runs/${runId}`)).status).toBe('succeeded');
    const stored = await api<Run>(`/api/runs/${runId}`);
    const callOutput = stored.steps.find((s) => s.nodeId === 'call')?.output as { runId: string; output: unknown };
    expect(callOutput.output).toBe('quote for Ada');
    expect((await api<Run>(`/api/runs/${callOutput.runId}`)).parent).toEqual({ runId, nodeId: 'call', flowId: 'ask-quote' });

    const { page, errors } = await app.newPage();
    await page.goto(`/runs/${runId}`);
    await page.getByTestId('run-view').waitFor();
    await page.getByTestId('step-call').getByTestId('step-child-run').click();
    await poll(() => page.getByTestId('run-view').getAttribute('data-run')).toBe(callOutput.runId);
    expect(new URL(page.url()).pathname).toBe(`/runs/${callOutput.runId}`);
    await page.getByTestId('node-answer').waitFor(); // the child's own flow on the canvas
    await page.getByTestId('run-parent').click();
    await poll(() => page.getByTestId('run-view').getAttribute('data-run')).toBe(runId);
    await page.getByTestId('node-call').waitFor();
    expect(await page.getByTestId('run-parent').count()).toBe(0);
    expect(errors).toEqual([]);
  });
});
