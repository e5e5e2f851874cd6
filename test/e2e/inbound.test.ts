// Browser end-to-end for inbound reach: the trigger form offers every auth type and vendor preset with
// the URL to paste into the vendor's dashboard (built on FLOWDESK_PUBLIC_URL) and the preset's default
// key; the HTML form options and their copyable snippet, which — put on a founder's page on another
// origin — posts straight to Flowdesk in Chromium and lands on the thank-you page; the flow list
// pauses with hold, shows what is held, and discards it; the e-mail and poll triggers' forms deploy a
// trigger the runtime reads.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AUTH_TYPE_NAMES } from '@flowdesk/schema';
import { poll, screenshot, startApp, type App } from './helpers/app.ts';
import { EditorPage } from './pages/EditorPage.ts';
import { FlowListPage } from './pages/FlowListPage.ts';

const PUBLIC = 'https://flows.example.com';
let app: App;
let site: Server;
let siteUrl = '';
let page_html = '';
beforeAll(async () => {
  app = await startApp({ FLOWDESK_PUBLIC_URL: PUBLIC });
  // the founder's own site, on another origin: the form page and the thank-you page
  site = createServer((req, res) => {
    if (req.url === '/thanks') return res.writeHead(200, { 'content-type': 'text/html' }).end('<h1 id="thanks">Thanks, we got it</h1>');
    res.writeHead(200, { 'content-type': 'text/html' }).end(`<!doctype html><html><body>${page_html}</body></html>`);
  });
  await new Promise<void>((ok) => site.listen(0, '127.0.0.1', ok));
  siteUrl = `http://127.0.0.1:${(site.address() as AddressInfo).port}`;
  const api = (method: string, path: string, body?: unknown) =>
    fetch(app.url + path, { method, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  const put = await api('PUT', '/api/flows/lead-form', {
    dsl: 1,
    id: 'lead-form',
    name: 'Lead form',
    trigger: {
      type: 'webhook',
      path: 'lead-form',
      auth: { type: 'none' },
      payloadSchema: { type: 'object', required: ['email'], properties: { email: { type: 'string', format: 'email' }, budget: { type: 'number', minimum: 0 } } },
    },
    nodes: [{ id: 'done', type: 'end' }],
    edges: [{ from: 'trigger', to: 'done' }],
  });
  expect(put.status).toBe(200);
}, 180_000);
afterAll(async () => {
  await app?.close();
  await new Promise<void>((ok) => (site ? site.close(() => ok()) : ok()));
});

describe('inbound reach in the editor', { timeout: 180_000 }, () => {
  it('offers every auth preset with the URL to paste and the default key; builds the HTML form that posts straight to Flowdesk', async () => {
    const { page, errors } = await app.newPage();
    await page.goto('/flows/lead-form');
    const ed = new EditorPage(page);
    await ed.waitReady();
    await ed.select('trigger');
    const auth = page.getByTestId('trigger-auth');
    expect(await auth.locator('option').evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value))).toEqual(AUTH_TYPE_NAMES);
    await expect.poll(() => page.getByTestId('hook-url').inputValue()).toBe(`${PUBLIC}/hooks/lead-form`);
    expect(await page.getByTestId('public-url-missing').count()).toBe(0);

    await auth.selectOption('github');
    expect(await page.getByTestId('hook-url-where').innerText()).toMatch(/GitHub: repository or organization Settings → Webhooks/);
    expect(await page.getByTestId('default-key').innerText()).toMatch(/headers\.x-github-delivery.*kept 3d/);
    expect(await page.getByTestId('trigger-secret').inputValue()).toBe('HOOK_SECRET');
    await auth.selectOption('twilio');
    expect(await page.getByTestId('default-key').innerText()).toMatch(/i-twilio-idempotency-token/);
    await auth.selectOption('signature');
    await page.getByTestId('signature-fields').waitFor();
    await page.getByTestId('sig-algorithm').selectOption('sha512');
    await page.getByTestId('sig-id-header').fill('X-Delivery');
    expect(await page.getByTestId('default-key').innerText()).toMatch(/headers\.x-delivery/);
    await screenshot(page, 'inbound-1-presets');
    await auth.selectOption('none');
    expect(await page.getByTestId('default-key').count()).toBe(0);

    // the HTML form options and the snippet
    await page.getByTestId('form-options').locator('summary').click();
    await page.getByTestId('respond-redirect').fill(`${siteUrl}/thanks`);
    await page.getByTestId('honeypot').fill('website');
    await page.getByTestId('validation-ok').waitFor();
    const snippet = await page.getByTestId('form-snippet').inputValue();
    expect(snippet).toContain(`<form action="${PUBLIC}/hooks/lead-form" method="post">`);
    expect(snippet).toContain('<input type="email" name="email" placeholder="email" required>');
    expect(snippet).toContain('name="website" tabindex="-1"');
    await screenshot(page, 'inbound-2-form-snippet');
    await ed.deploy();
    const deployed = (await (await fetch(`${app.url}/api/flows/lead-form`)).json()) as { trigger: Record<string, unknown> };
    expect(deployed.trigger).toMatchObject({ respond: { redirect: `${siteUrl}/thanks` }, honeypot: 'website', auth: { type: 'none' } });

    // the snippet on the founder's page (the public address is this runtime here), submitted in Chromium
    page_html = snippet.replace(PUBLIC, app.url);
    const visitor = await app.newPage();
    await visitor.page.goto(siteUrl);
    await visitor.page.fill('input[name=email]', 'visitor@example.com');
    await visitor.page.fill('input[name=budget]', '2500');
    await Promise.all([visitor.page.waitForURL(`${siteUrl}/thanks`), visitor.page.click('button')]);
    expect(await visitor.page.locator('#thanks').innerText()).toBe('Thanks, we got it');
    await poll(async () => {
      const runs = (await (await fetch(`${app.url}/api/runs?flowId=lead-form`)).json()) as { payload: unknown }[];
      return runs.map((r) => r.payload);
    }).toEqual([{ email: 'visitor@example.com', budget: 2500 }]);
    // a bot filling the hidden field lands on the same page and starts nothing
    await visitor.page.goto(siteUrl);
    await visitor.page.fill('input[name=email]', 'bot@example.com');
    await visitor.page.evaluate(() => ((document.querySelector('input[name=website]') as HTMLInputElement).value = 'http://spam.example'));
    await Promise.all([visitor.page.waitForURL(`${siteUrl}/thanks`), visitor.page.click('button')]);
    expect(((await (await fetch(`${app.url}/api/runs?flowId=lead-form`)).json()) as unknown[]).length).toBe(1);
    expect(errors).toEqual([]);
  });

  it('the flow list pauses with hold, counts what is held, discards it, and resumes', async () => {
    const { page, errors } = await app.newPage();
    const list = new FlowListPage(page);
    await list.open();
    await page.getByTestId('hold-lead-form').click();
    await page.getByTestId('held-lead-form').waitFor();
    expect(await page.getByTestId('held-lead-form').innerText()).toBe('0 held');
    for (const email of ['h1@example.com', 'h2@example.com']) {
      const res = await fetch(`${app.url}/hooks/lead-form`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email }) });
      expect(await res.json()).toMatchObject({ held: true });
    }
    await list.open();
    await poll(() => page.getByTestId('held-lead-form').innerText()).toBe('2 held');
    expect(await page.getByTestId('resume-lead-form').innerText()).toBe('Resume (runs 2)');
    await screenshot(page, 'inbound-3-held');
    await page.getByTestId('discard-held-lead-form').click(); // the confirm dialog is accepted
    await poll(() => page.getByTestId('held-lead-form').innerText()).toBe('0 held');
    const runs = (await (await fetch(`${app.url}/api/runs?flowId=lead-form`)).json()) as { status: string; error?: string }[];
    expect(runs.filter((r) => r.error === 'discarded while held').map((r) => r.status)).toEqual(['cancelled', 'cancelled']);
    await page.getByTestId('resume-lead-form').click();
    await page.getByTestId('hold-lead-form').waitFor();
    expect(await page.getByTestId('held-lead-form').count()).toBe(0);

    // switched off, its path taken by another flow meanwhile: Resume is refused, naming that flow
    const json = { 'content-type': 'application/json' };
    expect((await fetch(`${app.url}/api/flows/lead-form`, { method: 'DELETE' })).status).toBe(200);
    const taker = { dsl: 1, id: 'taker', name: 'Taker', trigger: { type: 'webhook', path: 'lead-form', auth: { type: 'none' } }, nodes: [{ id: 'end', type: 'end' }], edges: [{ from: 'trigger', to: 'end' }] };
    expect((await fetch(`${app.url}/api/flows/taker`, { method: 'PUT', headers: json, body: JSON.stringify(taker) })).status).toBe(200);
    await list.open();
    await page.getByTestId('resume-lead-form').click();
    await poll(() => page.locator('.fd-callout.error').innerText()).toContain('hook path "lead-form" belongs to flow "taker"');
    expect((await (await fetch(`${app.url}/api/flows/lead-form`)).json()).active).toBe(false);
    // the path freed again, Resume works
    expect((await fetch(`${app.url}/api/flows/taker`, { method: 'DELETE' })).status).toBe(200);
    await list.open();
    await page.getByTestId('resume-lead-form').click();
    await page.getByTestId('hold-lead-form').waitFor();
    expect(errors).toEqual([]);
  });

  it('switches a trigger to e-mail (refusing a password in clear to another machine) and to polling a feed, which is read once deployed', async () => {
    let feedRequests = 0;
    site.on('request', (req) => {
      if (req.url === '/') feedRequests++;
    });
    const put = await fetch(`${app.url}/api/flows/reader`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ dsl: 1, id: 'reader', name: 'Reader', trigger: { type: 'manual' }, nodes: [{ id: 'done', type: 'end' }], edges: [{ from: 'trigger', to: 'done' }] }),
    });
    expect(put.status).toBe(200);
    page_html = '';
    const { page, errors } = await app.newPage();
    await page.goto('/flows/reader');
    const ed = new EditorPage(page);
    await ed.waitReady();
    await ed.select('trigger');
    await page.getByTestId('trigger-type').selectOption('email');
    await page.getByTestId('email-options').waitFor();
    await page.getByTestId('email-host').fill('imap.example.com');
    await page.getByTestId('email-user').fill('ada@example.com');
    await page.getByTestId('email-tls').selectOption('none');
    await ed.openPanel('problems');
    await poll(() => page.getByTestId('validation-list').innerText()).toMatch(/sends the password in clear/);
    await page.getByTestId('email-tls').selectOption('implicit');
    await page.getByTestId('validation-ok').waitFor();
    await screenshot(page, 'inbound-4-email');

    await page.getByTestId('trigger-type').selectOption('poll');
    await page.getByTestId('poll-options').waitFor();
    await page.getByTestId('poll-url').fill(`${siteUrl}/`);
    await page.getByTestId('poll-format').selectOption('feed');
    await page.getByTestId('poll-interval').fill('10m');
    await page.getByTestId('validation-ok').waitFor();
    await ed.deploy();
    const deployed = (await (await fetch(`${app.url}/api/flows/reader`)).json()) as { trigger: Record<string, unknown> };
    expect(deployed.trigger).toEqual({ type: 'poll', url: `${siteUrl}/`, format: 'feed', interval: '10m' });
    await poll(async () => feedRequests).toBe(1); // read once, at once, on activation
    expect(errors).toEqual([]);
  });
});
