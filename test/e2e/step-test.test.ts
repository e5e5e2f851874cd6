// Browser end-to-end (issue 17, item 5): "Run this step" with pinned data. A code step runs alone on a
// sample and its output is pinned; an HTTP step then runs on that pinned output — the editor shows what
// it would send and asks first: Cancel sends nothing (the receiver counted 0), "Call it once" sends
// exactly one request. The dry run uses pinned outputs; a deploy never carries them (the real run
// computes its own), and an export carries them only when asked.
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Run } from '@flowdesk/schema';
import { poll, screenshot, startApp, type App } from './helpers/app.ts';
import { FlowForms } from './pages/FlowForms.ts';
import { newFlow } from './pages/FlowListPage.ts';

let app: App;
let receiver: Server;
let receiverUrl = '';
const calls: { key: string; body: { email?: string; score?: number } }[] = [];

beforeAll(async () => {
  receiver = createServer((req, res) => {
    let raw = '';
    req.on('data', (c: Buffer) => (raw += c.toString()));
    req.on('end', () => {
      calls.push({ key: String(req.headers['idempotency-key']), body: JSON.parse(raw || '{}') });
      res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify({ id: `crm-${calls.length}` }));
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

describe('Run this step, with pinned data', { timeout: 150_000 }, () => {
  it('runs a step alone, pins its output, and asks before a real call: cancel sends nothing, confirm sends once; pins stay out of deploys and plain exports', async () => {
    const { page, errors } = await app.newPage();
    const ed = await newFlow(page, 'push-lead', 'Push lead');
    // each dropped node is selected and the side panel opens, narrowing the canvas: drops stay left of it
    await ed.dragFromPalette('code', 0.15, 0.55);
    await ed.dragFromPalette('action:http.request', 0.35, 0.15);
    await ed.dragFromPalette('end', 0.55, 0.85);
    await ed.connect('trigger', 'out', 'code');
    await ed.connect('code', 'out', 'http-request');
    await ed.connect('http-request', 'ok', 'end');
    await poll(() => ed.edges().count()).toBe(3);
    await ed.select('http-request');
    await page.getByTestId('param-url').fill(`${receiverUrl}/leads`);
    await page.getByTestId('param-body').fill('{"email": "{{payload.email}}", "score": "{{steps.code.output.score}}"}');
    await ed.select('code');
    const code = page.getByTestId('code-source');
    await poll(() => code.getAttribute('data-ready')).toBe('true');
    await code.locator('.cm-content').fill('return { score: input.payload.email.length };');
    await page.getByTestId('validation-ok').waitFor();

    // the code step alone on a sample, then its output pinned — and edited by hand
    await page.getByTestId('step-test').locator('summary').click();
    await page.getByTestId('step-payload').fill('{"email": "ada@x.io"}');
    await page.getByTestId('run-step').click();
    await poll(() => page.getByTestId('step-output').innerText().then((t) => JSON.parse(t))).toEqual({ score: 8 });
    await page.getByTestId('step-pin').click();
    await page.getByTestId('step-pinned-badge').waitFor();
    await page.getByTestId('step-pin-edit').click();
    await page.getByTestId('step-pin-text').fill('{"score": 99}');
    await page.getByTestId('step-pin-save').click();
    await poll(() => page.evaluate(() => JSON.parse(localStorage.getItem('flowdesk:pinned:push-lead') ?? 'null'))).toEqual({ code: { score: 99 } });

    // the HTTP step on the pinned output: the editor shows what it would send, and asks
    await ed.select('http-request');
    await page.getByTestId('step-test').locator('summary').click();
    await page.getByTestId('step-payload').fill('{"email": "ada@x.io"}');
    await page.getByTestId('run-step').click();
    const box = page.getByTestId('step-confirm-box');
    await box.waitFor();
    expect(await box.innerText()).toContain('really calls http.request');
    expect(await box.locator('pre').innerText()).toContain('"score": 99');
    await screenshot(page, 'step-confirm');
    await page.getByTestId('step-cancel').click();
    await poll(() => box.count()).toBe(0);
    expect(calls).toHaveLength(0); // the runtime answered "needs confirmation" without calling

    await page.getByTestId('run-step').click();
    await box.waitFor();
    await page.getByTestId('step-confirm').click();
    await poll(() => page.getByTestId('step-result').getAttribute('data-status')).toBe('succeeded');
    expect(JSON.parse(await page.getByTestId('step-output').innerText())).toEqual({ status: 201, body: { id: 'crm-1' } });
    expect(calls).toHaveLength(1);
    expect(calls[0]!.body).toEqual({ email: 'ada@x.io', score: 99 });
    expect(calls[0]!.key).toMatch(/^test-step-.+:http-request$/);

    // the dry run uses the pinned output too (and calls nothing)
    const forms = new FlowForms(page);
    await forms.dryRun({ email: 'bob@x.io' });
    const pinnedStep = page.locator('[data-testid="dryrun-step"][data-node="code"]');
    await poll(() => pinnedStep.innerText()).toContain('pinned');
    expect(await page.getByTestId('dryrun-action').innerText()).toContain('"score":99');
    expect(calls).toHaveLength(1);

    // export: the plain one has no pins, "Export + pins" carries them
    const plain = await ed.exportFlow();
    expect(plain.json).not.toHaveProperty('pinData');
    const [dl] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-pinned').click()]);
    expect(JSON.parse(readFileSync(await dl.path(), 'utf8')).pinData).toEqual({ code: { score: 99 } });

    // deployed: the flow carries no pins and the real run computes its own score
    await ed.deploy();
    const deployed = (await (await fetch(`${app.url}/api/flows/push-lead`)).json()) as Record<string, unknown>;
    expect(deployed).not.toHaveProperty('pinData');
    const res = await fetch(`${app.url}/hooks/push-lead`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'carol@x.io' }) });
    const { runId } = (await res.json()) as { runId: string };
    await poll(async () => ((await (await fetch(`${app.url}/api/runs/${runId}`)).json()) as Run).status).toBe('succeeded');
    expect(calls).toHaveLength(2);
    expect(calls[1]).toEqual({ key: `${runId}:http-request`, body: { email: 'carol@x.io', score: 10 } });
    // the pins are still there for the next test session
    expect(await page.evaluate(() => JSON.parse(localStorage.getItem('flowdesk:pinned:push-lead') ?? 'null'))).toEqual({ code: { score: 99 } });
    expect(errors).toEqual([]);
  });
});
