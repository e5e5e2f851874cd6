// Browser end-to-end: the States page edits the state map in force — a state added with its moves is
// saved through PUT /api/state-map and records move through it at once; a malformed name is refused as
// typed; a state records sit in shows their count and cannot be removed; removing a state a deployed
// flow names is refused by the runtime, its reason shown and nothing changed;
// a map changed elsewhere while a draft is open is said, and Discard takes it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StateMap } from '@flowdesk/schema';
import { poll, screenshot, startApp, type App } from './helpers/app.ts';

let app: App;
let original: StateMap;
beforeAll(async () => {
  app = await startApp();
  original = (await (await fetch(`${app.url}/api/state-map`)).json()) as StateMap;
});
afterAll(async () => {
  await app?.close();
});

const json = { 'content-type': 'application/json' };
const stateMap = async () => (await (await fetch(`${app.url}/api/state-map`)).json()) as StateMap;
const move = (key: string, state: string) => fetch(`${app.url}/api/records/account/${encodeURIComponent(key)}/state`, { method: 'POST', headers: json, body: JSON.stringify({ state }) });

describe('the States page', { timeout: 120_000 }, () => {
  it('adds a state with its moves; saved, it is in force for record moves at once', async () => {
    const { page, errors } = await app.newPage();
    await page.goto('/');
    await page.getByTestId('nav-states').click();
    await page.getByTestId('state-map-page').waitFor();
    await page.getByTestId('state-account-qualified').waitFor();
    expect(await page.getByTestId('initial-account').inputValue()).toBe('captured');
    expect(await page.getByTestId('save-map').isDisabled()).toBe(true); // nothing to save yet

    // a malformed name is refused as typed; nothing is added
    await page.getByTestId('new-state-account').fill('On Hold');
    await page.getByTestId('add-state-account').click();
    expect(await page.getByTestId('edit-error').innerText()).toContain('lower-case letters');
    expect(await page.getByTestId('state-account-On Hold').count()).toBe(0);

    await page.getByTestId('new-state-account').fill('on_hold');
    await page.getByTestId('add-state-account').click();
    await page.getByTestId('state-account-on_hold').waitFor();
    expect(await page.getByTestId('edit-error').count()).toBe(0);
    await page.getByTestId('move-account-in_delivery-on_hold').check();
    await page.getByTestId('move-account-on_hold-in_delivery').check();
    await page.getByTestId('desc-account-on_hold').fill('Paused by the client');
    expect(await page.getByTestId('change').allInnerTexts()).toEqual(['adds state account.on_hold', 'account: allows in_delivery → on_hold', 'account: allows on_hold → in_delivery']);
    await screenshot(page, 'state-map-page');
    await page.getByTestId('save-map').click();
    await page.getByText('Saved: in force on every instance.').waitFor();

    const saved = await stateMap();
    expect(saved.entities.account!.states.on_hold).toEqual({ owner: 'founder', description: 'Paused by the client', next: ['in_delivery'] });
    expect(saved.entities.account!.states.in_delivery!.next).toContain('on_hold');
    expect(saved.entities.invoice).toEqual(original.entities.invoice); // the rest as it was
    // a record moves through the new state at once
    for (const s of ['captured', 'qualified', 'won', 'in_delivery', 'on_hold']) expect((await move('ada@x.io', s)).status, s).toBe(200);
    expect(((await (await fetch(`${app.url}/api/records/account/ada%40x.io`)).json()) as { state: string }).state).toBe('on_hold');
    expect((await move('ada@x.io', 'lost')).status).toBe(409); // on_hold → lost was not allowed
    expect(errors).toEqual([]);
  });

  it('a state records sit in shows their count and cannot be removed; removing one a flow names is refused with the reason, nothing changed', async () => {
    const flow = {
      dsl: 1,
      id: 'keep-clients',
      name: 'Keep clients',
      trigger: { type: 'webhook', path: 'keep-clients', auth: { type: 'none' }, idempotencyKey: { var: 'payload.id' } },
      record: { entity: 'account', key: { var: 'payload.email' } },
      cancelOn: [{ entity: 'account', state: 'retained' }],
      nodes: [{ id: 'done', type: 'end' }],
      edges: [{ from: 'trigger', to: 'done' }],
    };
    expect((await fetch(`${app.url}/api/flows/keep-clients`, { method: 'PUT', headers: json, body: JSON.stringify(flow) })).status).toBe(200);
    const { page, errors } = await app.newPage();
    await page.goto('/states');
    // ada@x.io sits in on_hold (the test before): counted, and its state cannot be removed
    expect((await page.getByTestId('count-account-on_hold').innerText()).trim()).toBe('1 record');
    expect(await page.getByTestId('remove-state-account-on_hold').isDisabled()).toBe(true);
    expect(await page.getByTestId('remove-state-account-on_hold').getAttribute('title')).toBe('1 record is in on_hold: move it first');
    expect(await page.getByTestId('remove-entity-account').isDisabled()).toBe(true);
    expect(await page.getByTestId('count-account-retained').count()).toBe(0);

    await page.getByTestId('remove-state-account-retained').click();
    expect(await page.getByTestId('state-account-retained').count()).toBe(0);
    expect(await page.getByTestId('change').allInnerTexts()).toEqual(['removes state account.retained']);
    // the initial state cannot be removed before another is chosen
    await page.getByTestId('remove-state-account-captured').click();
    expect(await page.getByTestId('edit-error').innerText()).toContain('choose another initial state first');
    await page.getByTestId('save-map').click();
    const shown = await page.getByTestId('save-error').innerText();
    expect(shown).toContain('nothing changed');
    expect(shown).toContain('/flows/keep-clients');
    expect((await stateMap()).entities.account!.states.retained).toBeDefined();
    // Discard: the draft is the map in force again
    await page.getByTestId('discard-map').click();
    await page.getByTestId('state-account-retained').waitFor();
    await page.getByText('No unsaved changes.').waitFor();
    // the record moves out: on focus the count goes and on_hold may be removed
    expect((await move('ada@x.io', 'in_delivery')).status).toBe(200);
    await page.evaluate(() => window.dispatchEvent(new Event('focus')));
    await poll(() => page.getByTestId('count-account-on_hold').count()).toBe(0);
    expect(await page.getByTestId('remove-state-account-on_hold').isDisabled()).toBe(false);
    expect(errors).toEqual([]);
  });

  it('a map changed elsewhere while a draft is open is said; Discard takes it', async () => {
    const { page, errors } = await app.newPage();
    await page.goto('/states');
    await page.getByTestId('new-entity-name').fill('project');
    await page.getByTestId('new-entity-state').fill('scoped');
    await page.getByTestId('add-entity').click();
    await page.getByTestId('entity-project').waitFor();
    // leaving with unsaved changes asks first (the app's dialogs are accepted: a dismissal is tried here)
    page.removeAllListeners('dialog');
    const asked: string[] = [];
    page.once('dialog', (d) => {
      asked.push(d.message());
      void d.dismiss();
    });
    await page.getByTestId('nav-runs').click();
    await poll(() => asked).toEqual(['The state map has changes that are not saved. Leave and lose them?']);
    expect(new URL(page.url()).pathname).toBe('/states');
    expect(await page.getByTestId('entity-project').count()).toBe(1);

    const current = await stateMap();
    const elsewhere = { ...current, entities: { ...current.entities, ticket: { initial: 'open', states: { open: { owner: 'founder', next: [] } } } } };
    expect((await fetch(`${app.url}/api/state-map`, { method: 'PUT', headers: json, body: JSON.stringify(elsewhere) })).status).toBe(200);
    await page.evaluate(() => window.dispatchEvent(new Event('focus')));
    await page.getByTestId('changed-elsewhere').waitFor();
    expect(await page.getByTestId('entity-ticket').count()).toBe(0); // the draft is kept until discarded
    expect(await page.getByTestId('entity-project').count()).toBe(1);
    await page.getByTestId('discard-map').click();
    await page.getByTestId('entity-ticket').waitFor();
    await poll(() => page.getByTestId('entity-project').count()).toBe(0);
    expect(await page.getByTestId('changed-elsewhere').count()).toBe(0);
    expect(errors).toEqual([]);
  });

  it('a map changed elsewhere between the last look and Save is not replaced unseen: Save is refused and says so, Save again replaces it knowingly', async () => {
    const { page, errors } = await app.newPage();
    await page.goto('/states');
    await page.getByTestId('new-entity-name').fill('campaign');
    await page.getByTestId('new-entity-state').fill('drafted');
    await page.getByTestId('add-entity').click();
    await page.getByTestId('entity-campaign').waitFor();
    // changed through the API while the page is not looking (no focus event: the page has not heard of it)
    const current = await stateMap();
    const elsewhere = { ...current, entities: { ...current.entities, invoice_dispute: { initial: 'raised', states: { raised: { owner: 'founder', next: [] } } } } };
    expect((await fetch(`${app.url}/api/state-map`, { method: 'PUT', headers: json, body: JSON.stringify(elsewhere) })).status).toBe(200);
    expect(await page.getByTestId('changed-elsewhere').count()).toBe(0);
    await page.getByTestId('save-map').click();
    await page.getByTestId('changed-elsewhere').waitFor(); // refused, and the map saved elsewhere fetched
    expect((await stateMap()).entities.invoice_dispute).toBeDefined(); // not replaced
    expect((await stateMap()).entities.campaign).toBeUndefined();
    await page.getByTestId('save-map').click(); // now knowingly
    await poll(async () => (await stateMap()).entities.campaign !== undefined).toBe(true);
    expect((await stateMap()).entities.invoice_dispute).toBeUndefined(); // the page's map replaced it, as it said
    expect(errors).toEqual([]);
  });
});
