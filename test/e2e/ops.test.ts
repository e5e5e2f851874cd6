// Browser end-to-end: the flow lifecycle and the operator pages — Run now, outbox, review queue,
// dead letters (replay, discard), version history with rollback, the active switch, admin sign-in.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Flow } from '@flowdesk/schema';
import { poll, screenshot, startApp, type App } from './helpers/app.ts';
import { EditorPage } from './pages/EditorPage.ts';
import { FlowListPage } from './pages/FlowListPage.ts';
import { startFailServer, type FailServer } from '../support/fail-server.ts';

// the CRM the `call` node posts to: a real local server that is down (500) for the whole test
let crm: FailServer;
const opsFlow = (crmUrl: string): Flow => ({
  dsl: 1,
  id: 'ops',
  name: 'Ops test',
  trigger: { type: 'manual' },
  nodes: [
    { id: 'mail', type: 'action', action: 'email.send', params: { to: '{{payload.email}}', subject: 'Welcome aboard', text: 'Hello {{payload.email}}' } },
    { id: 'check', type: 'review', queue: 'inbox', title: 'Check the lead', decisions: ['approved', 'rejected'], sop: ['Look the company up'] },
    { id: 'call', type: 'action', action: 'http.request', params: { method: 'POST', url: `${crmUrl}/leads` }, retry: { delays: [] }, sop: ['Call the CRM vendor'] },
    { id: 'done', type: 'end' },
  ],
  edges: [
    { from: 'trigger', to: 'mail' },
    { from: 'mail', port: 'ok', to: 'check' },
    { from: 'check', port: 'approved', to: 'call' },
    { from: 'check', port: 'rejected', to: 'done' },
    { from: 'call', port: 'ok', to: 'done' },
  ],
  samples: [{ name: 'ada', payload: { email: 'ada@example.com' } }],
});

let app: App;
beforeAll(async () => {
  crm = await startFailServer();
  crm.script([], { status: 500, body: '{"error":"crm down"}' });
  app = await startApp();
  const r = await fetch(`${app.url}/api/flows/ops`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(opsFlow(crm.url)) });
  if (r.status !== 200) throw new Error(`deploy: ${r.status} ${await r.text()}`);
});
afterAll(async () => {
  await app?.close();
  await crm?.close();
});

describe('operations', { timeout: 120_000 }, () => {
  it('runs a flow now, shows the outbox, resolves a review, replays and discards a dead letter', async () => {
    const { page, errors } = await app.newPage();
    await page.goto('/flows/ops');
    const ed = new EditorPage(page);
    await ed.waitReady();
    await page.getByTestId('run-now').click();
    await page.getByTestId('run-now-start').click();
    await page.getByTestId('run-view').waitFor();
    const runId = await page.getByTestId('run-view').getAttribute('data-run');
    await poll(() => page.getByTestId('run-view-status').innerText(), { timeout: 15_000 }).toBe('needs_review');
    await poll(() => page.getByTestId('node-mail').getAttribute('data-onpath')).toBe('true');

    await page.getByTestId('nav-outbox').click();
    await poll(() => page.getByTestId('outbox-item').count(), { timeout: 10_000 }).toBe(1);
    expect(await page.getByTestId('outbox-item').innerText()).toMatch(/Welcome aboard[\s\S]*ada@example.com/);
    await screenshot(page, 'outbox');

    await page.getByTestId('nav-reviews').click();
    await poll(() => page.getByTestId('review-item').count(), { timeout: 10_000 }).toBe(1);
    expect(await page.getByTestId('review-item').innerText()).toMatch(/Look the company up/);
    await screenshot(page, 'reviews');
    await page.getByTestId('decide-approved').click();
    await poll(() => page.getByTestId('review-item').count()).toBe(0);

    await page.getByTestId('nav-dead-letters').click();
    await poll(() => page.getByTestId('dead-letter').count(), { timeout: 15_000 }).toBe(1);
    expect(await page.getByTestId('dead-letter').innerText()).toMatch(/call[\s\S]*Call the CRM vendor/);
    await screenshot(page, 'dead-letters');
    expect(crm.requests.map((r) => r.key)).toEqual([`${runId}:call`]);
    const api = async <T,>(path: string) => (await (await fetch(`${app.url}${path}`)).json()) as T;
    const dlBefore = (await api<{ id: string; updatedAt: string; attempts: { at: string }[] }[]>('/api/dead-letters')).find((d) => d.id === runId)!;
    await page.getByTestId('dl-replay').click();
    await page.getByText('Replay started.').waitFor();
    // what the replay did: the failed step ran again, at the CRM, under the same Idempotency-Key
    await poll(() => crm.requests.length).toBe(2);
    expect(crm.requests.map((r) => r.key)).toEqual([`${runId}:call`, `${runId}:call`]);
    // the CRM is still down: the run dies again, once more replayed, and its dead letter is back with the new attempt
    await poll(async () => (await api<{ status: string; replays?: number }>(`/api/runs/${runId}`))).toMatchObject({ status: 'dead', replays: 1 });
    await poll(async () => (await api<{ id: string; status: string; updatedAt: string }[]>('/api/dead-letters')).find((d) => d.id === runId)?.status).toBe('open');
    const dlAfter = (await api<{ id: string; updatedAt: string; attempts: { at: string }[] }[]>('/api/dead-letters')).find((d) => d.id === runId)!;
    expect(dlAfter.updatedAt > dlBefore.updatedAt).toBe(true);
    expect(dlAfter.attempts[0]!.at > dlBefore.attempts[0]!.at).toBe(true);
    await poll(() => page.getByTestId('dead-letter').count(), { timeout: 15_000 }).toBe(1);
    await page.getByTestId('dl-discard').click();
    await poll(() => page.getByTestId('dead-letter').count()).toBe(0);

    const run = (await (await fetch(`${app.url}/api/runs/${runId}`)).json()) as { status: string };
    expect(run.status).toBe('dead');
    expect(errors).toEqual([]);
  });

  it('deploys a new version, rolls back, and switches the flow off', async () => {
    const { page, errors } = await app.newPage();
    await page.goto('/flows/ops');
    const ed = new EditorPage(page);
    await ed.waitReady();
    expect(await page.getByTestId('deployed-version').innerText()).toBe('v1');
    await page.getByTestId('flow-title').fill('Ops test, renamed');
    await page.getByTestId('unsaved').waitFor();
    await ed.deploy();
    expect(await page.getByTestId('deployed-version').innerText()).toBe('v2');

    await page.getByTestId('tab-versions').click();
    await page.getByTestId('version-1').waitFor();
    await screenshot(page, 'versions');
    await page.getByTestId('rollback-1').click();
    await poll(() => page.getByTestId('deployed-version').innerText(), { timeout: 10_000 }).toBe('v3');
    expect(await page.getByTestId('flow-title').inputValue()).toBe('Ops test');

    await page.getByTestId('active-switch').uncheck();
    await poll(() => page.getByTestId('deployed-version').innerText(), { timeout: 10_000 }).toBe('v4');
    const doc = (await (await fetch(`${app.url}/api/flows/ops`)).json()) as Flow;
    expect(doc.active).toBe(false);
    const list = new FlowListPage(page);
    await list.open();
    expect(await list.row('ops').innerText()).toMatch(/inactive/);

    // duplicate (a new draft with a fresh id and hook path), then delete it after a confirmation
    await page.getByTestId('duplicate-ops').click();
    await ed.waitReady();
    expect(new URL(page.url()).pathname).toBe('/flows/ops-copy');
    expect(await page.getByTestId('flow-title').inputValue()).toBe('Ops test (copy)');
    await list.open();
    await list.row('ops-copy').waitFor();
    await page.getByTestId('delete-ops-copy').click();
    await page.getByTestId('confirm-delete').waitFor();
    await page.getByTestId('confirm-delete-yes').click();
    await poll(() => list.row('ops-copy').count()).toBe(0);
    expect(await list.row('ops').count()).toBe(1);
    expect(errors).toEqual([]);
  });
});

describe('admin token', { timeout: 120_000 }, () => {
  let locked: App;
  beforeAll(async () => {
    locked = await startApp({ FLOWDESK_ADMIN_TOKEN: 'let-me-in-please' });
  });
  afterAll(async () => {
    await locked?.close();
  });
  it('asks for the token when the runtime needs one and keeps it for the tab', async () => {
    const { page, errors } = await locked.newPage();
    await page.goto('/');
    await page.getByTestId('sign-in').waitFor();
    await page.getByTestId('sign-in-token').fill('let-me-in-please');
    await page.getByTestId('sign-in-submit').click();
    await page.getByText('No flows yet').waitFor();
    expect(await page.evaluate(() => sessionStorage.getItem('flowdesk:token'))).toBe('let-me-in-please');
    await page.reload();
    await page.getByText('No flows yet').waitFor();
    expect(await page.getByTestId('sign-in').count()).toBe(0);
    expect(errors).toEqual([]);
  });
});
