// Browser end-to-end (issue 14, item 5): fix, then replay on the latest version. A run dies on a CRM
// that is down; replaying it on the version it failed on shows it failing again at the same step;
// after a fix is deployed (v2 points at the working CRM) the dead-letter queue offers "Replay on
// latest", shows the replay's new status, and the run resumes at the failed step on v2.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { poll, screenshot, startApp, type App } from './helpers/app.ts';
import { startFailServer, type FailServer } from '../support/fail-server.ts';

let down: FailServer;
let up: FailServer;
let app: App;
const flow = (crmUrl: string) => ({
  dsl: 1,
  id: 'crm-sync',
  name: 'CRM sync',
  trigger: { type: 'webhook', path: 'crm-sync', auth: { type: 'none' } },
  nodes: [
    { id: 'call', type: 'action', action: 'http.request', params: { method: 'POST', url: `${crmUrl}/leads`, body: { email: '{{payload.email}}' } }, retry: { delays: [] } },
    { id: 'done', type: 'end' },
  ],
  edges: [
    { from: 'trigger', to: 'call' },
    { from: 'call', to: 'done' },
  ],
});
const deploy = async (doc: unknown) => {
  const r = await fetch(`${app.url}/api/flows/crm-sync`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(doc) });
  return ((await r.json()) as { version: number }).version;
};
const runOf = async (id: string) => (await (await fetch(`${app.url}/api/runs/${id}`)).json()) as { status: string; flowVersion: number; steps: { nodeId: string; status: string }[] };

beforeAll(async () => {
  down = await startFailServer();
  down.script([], { status: 500, body: '{"error":"crm down"}' });
  up = await startFailServer();
  up.script([], { status: 200, body: '{"ok":true}' });
  app = await startApp();
});
afterAll(async () => {
  await app?.close();
  await down?.close();
  await up?.close();
});

describe('fix, then replay', { timeout: 120_000 }, () => {
  it('replays on the old version (fails again, naming the step), then on the latest from the dead letters (succeeds on v2)', async () => {
    expect(await deploy(flow(down.url))).toBe(1);
    const res = await fetch(`${app.url}/hooks/crm-sync`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'ada@example.com' }) });
    const { runId } = (await res.json()) as { runId: string };
    await poll(async () => (await runOf(runId)).status).toBe('dead');

    const { page, errors } = await app.newPage();
    await page.goto(`/runs/${runId}`);
    await page.getByTestId('run-replay').waitFor();
    expect(await page.getByTestId('run-replay-latest').count()).toBe(0); // nothing newer yet
    await page.getByTestId('run-replay').click();
    await poll(() => page.getByTestId('replay-result').getAttribute('data-status')).toBe('dead');
    expect(await page.getByTestId('replay-failing-node').innerText()).toBe('call');
    expect(await page.getByTestId('replay-result').innerText()).toMatch(/v1/);
    await poll(() => down.requests.length).toBe(2);

    // the fix: v2 calls the CRM that works
    expect(await deploy(flow(up.url))).toBe(2);
    await page.getByTestId('nav-dead-letters').click();
    const letter = page.getByTestId('dead-letter');
    await letter.waitFor();
    await poll(() => letter.getByTestId('dl-replay-latest').innerText()).toMatch(/latest \(v2\)/);
    expect(await letter.getByTestId('dl-replay').innerText()).toMatch(/v1/);
    await letter.getByTestId('dl-replay-latest').click();
    await poll(() => page.getByTestId('replay-result').getAttribute('data-status')).toBe('succeeded');
    expect(await page.getByTestId('replay-result').innerText()).toMatch(/v2/);
    await screenshot(page, 'replay-latest');
    await poll(() => page.getByTestId('dead-letter').count()).toBe(0);

    // what the runtime stored: the same run, now on v2, resumed at the failed step and succeeded
    const run = await runOf(runId);
    expect(run).toMatchObject({ status: 'succeeded', flowVersion: 2 });
    expect(up.requests).toHaveLength(1);
    expect(JSON.parse(up.requests[0]!.body)).toEqual({ email: 'ada@example.com' });
    expect(down.requests).toHaveLength(2);
    await page.getByRole('button', { name: 'open the run' }).click();
    await poll(() => page.getByTestId('run-view-status').innerText()).toBe('succeeded');
    expect(await page.locator('.fd-title small').innerText()).toBe('v2');
    expect(errors).toEqual([]);
  });
});
