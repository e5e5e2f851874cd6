// Browser end-to-end (issue 14, item 8): forms, not raw JSON, for a flow's record, cancelOn and SLA, and
// an end's exit state — entity and state offered from the runtime's state map, a name it lacks said at
// once — stored by deploy as the DSL says; and the runs list filtered by a date range and searched by
// key and record (runs made days apart on the runtime's ManualClock).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Flow } from '@flowdesk/schema';
import { ManualClock } from '../../apps/runtime/src/clock.ts';
import { poll, screenshot, startApp, type App } from './helpers/app.ts';
import { newFlow } from './pages/FlowListPage.ts';
import { RunsPage } from './pages/RunsPage.ts';

const T0 = Date.parse('2026-03-02T12:00:00.000Z');
const clock = new ManualClock(T0);
let app: App;
beforeAll(async () => {
  app = await startApp({}, { clock });
});
afterAll(async () => {
  await app?.close();
});

const optionsOf = (page: import('playwright-core').Page, testid: string) => page.getByTestId(`${testid}-options`).locator('option').evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value));

describe('record, cancelOn and SLA as forms; runs by date and search', { timeout: 120_000 }, () => {
  it('fills record, cancelOn and SLA with state-map pickers; deploy stores them; a reload shows them', async () => {
    const { page, errors } = await app.newPage();
    const ed = await newFlow(page, 'onboard', 'Onboard');
    await ed.dragFromPalette('end', 0.5, 0.3);
    await ed.connect('trigger', 'out', 'end');
    await ed.openSettings();
    await page.getByTestId('record-settings').waitFor();
    expect(await page.getByText('Records, cancellation and SLA (JSON)').count()).toBe(0);

    await poll(() => optionsOf(page, 'flow-record-entity')).toEqual(['account', 'invoice']);
    await page.getByTestId('flow-record-entity').fill('account');
    await page.getByTestId('flow-record-key').fill('payload.email');
    await page.getByTestId('cancel-on-add').click();
    expect(await page.getByTestId('cancel-on-entity-0').inputValue()).toBe('account'); // the record's entity first
    const accountStates = await optionsOf(page, 'cancel-on-state-0');
    expect(accountStates).toEqual(expect.arrayContaining(['captured', 'qualified', 'won', 'lost']));
    await page.getByTestId('cancel-on-state-0').fill('gone');
    await page.getByTestId('cancel-on-state-0-unknown').waitFor(); // said at once, not at deploy
    await page.getByTestId('cancel-on-state-0').fill('lost');
    await poll(() => page.getByTestId('cancel-on-state-0-unknown').count()).toBe(0);
    await page.getByTestId('flow-sla-within').fill('2d');
    await page.getByTestId('flow-sla-state').fill('won');
    await page.getByTestId('flow-sla-severity').selectOption('P1');

    // the end's exit state: the same pickers
    await ed.select('end');
    await page.getByTestId('end-entity').fill('account');
    expect(await optionsOf(page, 'end-state')).toEqual(accountStates);
    await page.getByTestId('end-state').fill('qualified');
    await page.getByTestId('validation-ok').waitFor();
    await screenshot(page, 'record-forms');
    await ed.deploy();

    const stored = (await (await fetch(`${app.url}/api/flows/onboard`)).json()) as Flow;
    expect(stored.record).toEqual({ entity: 'account', key: { var: 'payload.email' } });
    expect(stored.cancelOn).toEqual([{ entity: 'account', state: 'lost' }]);
    expect(stored.sla).toEqual({ within: '2d', state: 'won', severity: 'P1' });
    expect(stored.nodes.find((n) => n.id === 'end')).toMatchObject({ exitState: { entity: 'account', key: { var: 'payload.email' }, state: 'qualified' } });

    await page.reload();
    await ed.waitReady();
    await ed.openSettings();
    expect(await page.getByTestId('flow-record-entity').inputValue()).toBe('account');
    expect(await page.getByTestId('flow-record-key').inputValue()).toBe('payload.email');
    expect(await page.getByTestId('cancel-on-state-0').inputValue()).toBe('lost');
    expect(await page.getByTestId('flow-sla-within').inputValue()).toBe('2d');
    // removing the cancel rule removes cancelOn from the flow
    await page.getByTestId('cancel-on-remove-0').click();
    await ed.waitDraftSaved();
    const draft = await page.evaluate(() => JSON.parse(localStorage.getItem('flowdesk:draft:onboard') ?? 'null'));
    expect(draft.flow).not.toHaveProperty('cancelOn');
    expect(errors).toEqual([]);
  });

  it('a state map changed through the API while the editor is open: the pickers offer it once the window regains focus', async () => {
    const { page, errors } = await app.newPage();
    const ed = await newFlow(page, 'projects', 'Projects');
    await ed.openSettings();
    await poll(() => optionsOf(page, 'flow-record-entity')).toEqual(['account', 'invoice']);
    const map = (await (await fetch(`${app.url}/api/state-map`)).json()) as { entities: Record<string, unknown> };
    const withProject = { ...map, entities: { ...map.entities, project: { initial: 'scoped', states: { scoped: { owner: 'founder', next: ['delivered'] }, delivered: { owner: 'founder', next: [], terminal: true } } } } };
    const put = await fetch(`${app.url}/api/state-map`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(withProject) });
    expect(put.status).toBe(200);
    await page.evaluate(() => window.dispatchEvent(new Event('focus')));
    await poll(() => optionsOf(page, 'flow-record-entity')).toEqual(['account', 'invoice', 'project']);
    await page.getByTestId('flow-record-entity').fill('project');
    await page.getByTestId('cancel-on-add').click();
    await poll(() => optionsOf(page, 'cancel-on-state-0')).toEqual(['scoped', 'delivered']);
    // the map as it was, for the tests after this one
    expect((await fetch(`${app.url}/api/state-map`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(map) })).status).toBe(200);
    expect(errors).toEqual([]);
  });

  it('the runs list filters by a date range and finds runs by key or record', async () => {
    const flow = { dsl: 1, id: 'orders-by-day', name: 'Orders by day', trigger: { type: 'webhook', path: 'orders-by-day', auth: { type: 'none' }, idempotencyKey: { var: 'payload.orderId' } }, record: { entity: 'account', key: { var: 'payload.email' } }, nodes: [{ id: 'done', type: 'end' }], edges: [{ from: 'trigger', to: 'done' }] };
    expect((await fetch(`${app.url}/api/flows/orders-by-day`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(flow) })).status).toBe(200);
    const ids: Record<string, string> = {};
    // 2 March, 4 March, 6 March (noon UTC): one order each
    for (const [i, [orderId, email]] of [['A-1', 'ada@x.io'], ['B-2', 'bob@x.io'], ['C-3', 'ada@x.io']].entries()) {
      clock.set(new Date(T0 + i * 2 * 86_400_000).toISOString());
      const res = await fetch(`${app.url}/hooks/orders-by-day`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ orderId, email }) });
      ids[orderId!] = ((await res.json()) as { runId: string }).runId;
    }
    await app.settle();
    const { page, errors } = await app.newPage();
    await page.goto('/runs?flowId=orders-by-day');
    const runs = new RunsPage(page);
    const shown = () => runs.rows().evaluateAll((rs) => rs.map((r) => r.getAttribute('data-run')));
    await poll(shown).toEqual([ids['C-3'], ids['B-2'], ids['A-1']]);

    await page.getByTestId('runs-from').fill('2026-03-03');
    await page.getByTestId('runs-to').fill('2026-03-05');
    await poll(shown).toEqual([ids['B-2']]);
    expect(new URL(page.url()).searchParams.get('from')).toBe('2026-03-03');
    await page.getByTestId('runs-to').fill('2026-03-06'); // the "to" day is included
    await poll(shown).toEqual([ids['C-3'], ids['B-2']]);
    await page.getByTestId('runs-from').fill('');
    await page.getByTestId('runs-to').fill('');

    // search: a record key finds its runs, an idempotency key its run
    await page.getByTestId('runs-search').fill('ada@x.io');
    await poll(shown).toEqual([ids['C-3'], ids['A-1']]);
    expect(await runs.rows().first().getByTestId('run-about').innerText()).toBe('account ada@x.io');
    await page.getByTestId('runs-search').fill('B-2');
    await poll(shown).toEqual([ids['B-2']]);
    await page.getByTestId('runs-search').fill('nobody@x.io');
    await poll(shown).toEqual([]);
    await page.getByText('No runs match.').waitFor();
    await screenshot(page, 'runs-filters');
    expect(errors).toEqual([]);
  });
});
