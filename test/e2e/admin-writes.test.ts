// Browser end-to-end under the admin surface's rules (issue 12, items 1–2): the editor's delete,
// cancel, replay and discard each send what the CSRF rules need (same Origin as Host; JSON when there
// is a body) and succeed. Then what a hostile page can make the same browser send — a cross-origin
// form post, a no-cors fetch, and a DNS-rebound page — is refused, with no run started.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser, type Page, type Request } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Flow } from '@flowdesk/schema';
import { CHROMIUM_ARGS, poll, screenshot, startApp, type App } from './helpers/app.ts';
import { FlowListPage } from './pages/FlowListPage.ts';
import { EditorPage } from './pages/EditorPage.ts';

const manual = (id: string, nodes: Flow['nodes'], edges: Flow['edges']): Flow => ({ dsl: 1, id, name: id, trigger: { type: 'manual' }, nodes, edges });
const FLOWS: Flow[] = [
  manual('waiter', [{ id: 'pause', type: 'wait', for: '3d' }, { id: 'done', type: 'end' }], [{ from: 'trigger', to: 'pause' }, { from: 'pause', to: 'done' }]),
  manual(
    'broken',
    [{ id: 'call', type: 'action', action: 'http.request', params: { method: 'POST', url: 'http://127.0.0.1:9/down' }, retry: { delays: [] } }, { id: 'done', type: 'end' }],
    [{ from: 'trigger', to: 'call' }, { from: 'call', to: 'done' }],
  ),
  manual('scratch', [{ id: 'done', type: 'end' }], [{ from: 'trigger', to: 'done' }]),
];

let app: App;
const api = async (method: string, path: string, body?: unknown) => {
  const r = await fetch(`${app.url}${path}`, { method, headers: body === undefined ? {} : { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: r.status, body: (await r.json()) as any };
};
const startRun = async (flowId: string): Promise<string> => (await api('POST', `/api/flows/${flowId}/run`, { payload: {} })).body.runId;
const runStatus = async (id: string): Promise<string> => (await api('GET', `/api/runs/${id}`)).body.status;

beforeAll(async () => {
  app = await startApp();
  for (const f of FLOWS) expect((await api('PUT', `/api/flows/${f.id}`, f)).status).toBe(200);
});
afterAll(async () => {
  await app?.close();
});

/** The request the page sends to `path` with `method`, with the headers the browser really put on the wire. */
async function expectSent(page: Page, method: string, path: string, act: () => Promise<void>, status = 200): Promise<Record<string, string>> {
  const sent = page.waitForRequest((r: Request) => r.method() === method && new URL(r.url()).pathname === path);
  const answered = page.waitForResponse((r) => r.request().method() === method && new URL(r.url()).pathname === path);
  await act();
  const headers = await (await sent).allHeaders();
  expect((await answered).status()).toBe(status);
  expect(headers.origin).toBe(new URL(app.url).origin);
  expect(headers['sec-fetch-site']).toBe('same-origin');
  return headers;
}

describe('the editor\'s writes pass the Host, Origin and content-type rules', { timeout: 120_000 }, () => {
  it('cancel: a waiting run from its run view', async () => {
    const runId = await startRun('waiter');
    await poll(() => runStatus(runId)).toBe('waiting');
    const { page, errors } = await app.newPage();
    await page.goto(`/runs/${runId}`);
    await page.getByTestId('run-view').waitFor();
    const headers = await expectSent(page, 'POST', `/api/runs/${runId}/cancel`, () => page.getByRole('button', { name: 'Cancel run' }).click());
    expect(headers['content-type']).toBe('application/json');
    await poll(() => page.getByTestId('run-view-status').innerText()).toBe('cancelled');
    expect(await runStatus(runId)).toBe('cancelled');
    expect(errors).toEqual([]);
  });

  it('replay: a dead run from its run view', async () => {
    const runId = await startRun('broken');
    await poll(() => runStatus(runId)).toBe('dead');
    const { page, errors } = await app.newPage();
    await page.goto(`/runs/${runId}`);
    const headers = await expectSent(page, 'POST', `/api/runs/${runId}/replay`, () => page.getByTestId('run-replay').click(), 202);
    expect(headers['content-type']).toBe('application/json');
    await page.getByText('Replay started').waitFor();
    // the dependency is still down: the replayed run tried again (a second attempt) and died again
    await poll(async () => {
      const run = (await api('GET', `/api/runs/${runId}`)).body;
      return `${run.status} after ${run.replays ?? 0} replay(s)`;
    }).toBe('dead after 1 replay(s)');
    expect(errors).toEqual([]);
  });

  it('discard: a dead letter from the queue', async () => {
    const runId = await startRun('broken');
    await poll(() => runStatus(runId)).toBe('dead');
    const { page, errors } = await app.newPage();
    await page.goto('/dead-letters');
    const card = page.getByTestId('dead-letter').filter({ hasText: runId });
    await card.waitFor();
    const headers = await expectSent(page, 'POST', `/api/dead-letters/${runId}/discard`, () => card.getByTestId('dl-discard').click());
    expect(headers['content-type']).toBe('application/json');
    await poll(() => card.count()).toBe(0);
    const dl = (await api('GET', '/api/dead-letters')).body.find((d: { id: string }) => d.id === runId);
    expect(dl?.status ?? 'gone').not.toBe('open');
    expect(errors).toEqual([]);
  });

  it('delete: a flow from the list, with no body and no content type', async () => {
    const { page, errors } = await app.newPage();
    const list = new FlowListPage(page);
    await list.open();
    await list.row('scratch').waitFor();
    await page.getByTestId('delete-scratch').click();
    await page.getByTestId('confirm-delete').waitFor();
    const headers = await expectSent(page, 'DELETE', '/api/flows/scratch', () => page.getByTestId('confirm-delete-yes').click());
    expect(headers['content-type']).toBeUndefined();
    // a deployed flow is deactivated, its history kept: the list shows it inactive
    await poll(() => list.row('scratch').innerText()).toMatch(/inactive/);
    expect((await api('GET', '/api/flows/scratch')).body.active).toBe(false);
    expect(errors).toEqual([]);
  });
});

describe('the dry run in the browser checks contracts on RE2, under the CSP', { timeout: 120_000 }, () => {
  it('a catastrophic pattern on a 50,000-character value is answered, and a valid payload runs', async () => {
    const flow: Flow = {
      dsl: 1, id: 'codes', name: 'Codes',
      trigger: { type: 'webhook', path: 'codes', auth: { type: 'none' }, payloadSchema: { type: 'object', properties: { code: { type: 'string', pattern: '^([a-z0-9]+)+$' } } } },
      nodes: [{ id: 'done', type: 'end' }],
      edges: [{ from: 'trigger', to: 'done' }],
    };
    expect((await api('PUT', '/api/flows/codes', flow)).status).toBe(200);
    const { page, errors } = await app.newPage();
    await page.goto('/flows/codes');
    const ed = new EditorPage(page);
    await ed.waitReady();
    await page.getByTestId('tab-dryrun').click();
    await page.getByTestId('dryrun-payload').fill(JSON.stringify({ code: 'a'.repeat(50_000) + '!' })); // natively: hours
    await page.getByTestId('dryrun-run').click();
    expect(await page.getByTestId('dryrun-contract-errors').innerText()).toMatch(/\/code[\s\S]*must match pattern/);
    await page.getByTestId('dryrun-payload').fill('{"code":"abc123"}');
    await page.getByTestId('dryrun-run').click();
    await poll(() => page.getByTestId('dryrun-path').innerText()).toBe('trigger → done');
    expect(errors).toEqual([]); // no CSP violation, no page error
  });
});

describe('what a hostile page makes the same browser send is refused', { timeout: 120_000 }, () => {
  let attacker: Server;
  let attackerUrl: string;
  let rebindBrowser: Browser;
  const runsOf = async (flowId: string) => (await api('GET', `/api/runs?flowId=${flowId}`)).body.length as number;

  beforeAll(async () => {
    const target = app.url;
    // another site (here another origin on this machine): a form that posts itself, and a no-cors fetch
    attacker = createServer((req, res) => {
      res.setHeader('content-type', 'text/html');
      if (req.url === '/form') {
        res.end(`<form id="f" method="POST" enctype="text/plain" action="${target}/api/flows/waiter/run"><input name='{"payload":{},"x":"' value='"}'></form><script>document.getElementById('f').submit()</script>`);
      } else {
        res.end(`<script>
          window.done = Promise.all([
            fetch('${target}/api/flows/waiter/run', { method: 'POST', mode: 'no-cors', headers: { 'content-type': 'text/plain' }, body: '{"payload":{}}' }),
            fetch('${target}/api/flows/waiter/active', { method: 'POST', mode: 'no-cors', headers: { 'content-type': 'text/plain' }, body: '{"active":false}' }),
          ]).then(() => 'sent', (e) => String(e));
        </script>`);
      }
    });
    await new Promise<void>((ok) => attacker.listen(0, '127.0.0.1', ok));
    attackerUrl = `http://127.0.0.1:${(attacker.address() as AddressInfo).port}`;
    // Chromium's Private Network Access would stop part of a rebinding attack by itself; it is off here
    // to show the runtime's own refusal, which is all that stands in other browsers
    rebindBrowser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: [
        ...CHROMIUM_ARGS,
        '--host-resolver-rules=MAP rebind.evil.example 127.0.0.1',
        '--disable-features=PrivateNetworkAccessSendPreflights,PrivateNetworkAccessRespectPreflightResults,BlockInsecurePrivateNetworkRequests,LocalNetworkAccessChecks',
      ],
    });
  });
  afterAll(async () => {
    await rebindBrowser?.close();
    await new Promise<void>((ok) => attacker?.close(() => ok()));
  });

  it('a cross-origin form post and no-cors fetches: 403, no run, the flow still active', async () => {
    const before = await runsOf('waiter');
    const { page } = await app.newPage();
    const answer = page.waitForResponse((r) => r.url().endsWith('/api/flows/waiter/run'));
    await page.goto(`${attackerUrl}/form`);
    expect((await answer).status()).toBe(403);
    expect(await page.textContent('body')).toMatch(/cross-(site|origin) request refused/);

    // the runtime refuses both; the browser does not even hand the opaque 403s to the page (CORP)
    const crossSite = async () => Number(/flowdesk_security_refusals_total\{kind="cross_site"\} (\d+)/.exec(await (await fetch(`${app.url}/metrics`)).text())?.[1] ?? 0);
    const refusedBefore = await crossSite();
    await page.goto(`${attackerUrl}/fetch`);
    await page.evaluate(() => (window as unknown as { done: Promise<string> }).done);
    expect(await crossSite()).toBe(refusedBefore + 2);
    expect(await runsOf('waiter')).toBe(before);
    expect((await api('GET', '/api/flows/waiter')).body.active).toBe(true);
  });

  it('a DNS-rebound page (rebind.evil.example → 127.0.0.1) reads and changes nothing', async () => {
    const port = new URL(app.url).port;
    const evil = `http://rebind.evil.example:${port}`;
    const context = await rebindBrowser.newContext();
    const page = await context.newPage();
    // the attacker's page as first served by the attacker's own server; after the rebinding its
    // same-origin requests reach the runtime, with the attacker's name in Host
    await page.route(`${evil}/start`, (route) =>
      route.fulfill({
        contentType: 'text/html',
        body: `<script>
          const j = { 'content-type': 'application/json' };
          window.done = Promise.all([
            fetch('/api/flows').then((r) => r.status),
            fetch('/api/flows/steal', { method: 'PUT', headers: j, body: JSON.stringify({ dsl: 1, id: 'steal', name: 's', trigger: { type: 'manual' }, nodes: [{ id: 'e', type: 'end' }], edges: [{ from: 'trigger', to: 'e' }] }) }).then((r) => r.status),
            fetch('/api/flows/waiter/run', { method: 'POST', headers: j, body: '{"payload":{}}' }).then((r) => r.status),
            fetch('/metrics').then((r) => r.status),
          ]);
        </script>`,
      }),
    );
    const before = await runsOf('waiter');
    await page.goto(`${evil}/start`);
    expect(await page.evaluate(() => (window as unknown as { done: Promise<number[]> }).done)).toEqual([403, 403, 403, 403]);
    // the editor itself does not load under that name either
    const editor = await page.goto(`${evil}/`);
    expect(editor?.status()).toBe(403);
    await screenshot(page, 'rebinding-refused');
    expect((await api('GET', '/api/flows/steal')).status).toBe(404);
    expect(await runsOf('waiter')).toBe(before);
    await context.close();
  });
});
