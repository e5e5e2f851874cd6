// Browser end-to-end: the Connections page and the connection picker. A founder creates a Slack
// connection (pointed at a loopback Slack), tests it, picks it on a Slack node, deploys, and the fake
// Slack receives the message with the bot token; the token is never shown again; a bad base URL is
// refused naming the field; deleting lists the flows that use the connection.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { poll, screenshot, startApp, type App } from './helpers/app.ts';
import { EditorPage } from './pages/EditorPage.ts';
import { FlowListPage } from './pages/FlowListPage.ts';
import { startFakeSlack, type FakeSlack } from '../support/fakes/slack.ts';
import { startFakeSheets, type FakeSheets } from '../support/fakes/sheets.ts';
import { startFakeGoogleToken, type FakeGoogleToken } from '../support/fakes/google-token.ts';
import { generateKeyPairSync } from 'node:crypto';

const TOKEN = 'xoxb-9999-8888-e2econnectiontoken';

let app: App;
let slack: FakeSlack;
let sheets: FakeSheets;
let google: FakeGoogleToken;
beforeAll(async () => {
  slack = await startFakeSlack();
  slack.tokens.add(TOKEN);
  sheets = await startFakeSheets();
  google = await startFakeGoogleToken();
  google.onIssue = (t) => sheets.tokens.add(t);
  app = await startApp();
});
afterAll(async () => {
  await app?.close();
  await slack?.close();
  await sheets?.close();
  await google?.close();
});

describe('connections in the editor', { timeout: 150_000 }, () => {
  it('creates a connection, tests it, picks it on a Slack node, deploys, and the fake Slack gets the message', async () => {
    const { page, errors } = await app.newPage();
    await page.goto('/connections');
    await page.getByTestId('connections').waitFor();

    // a refusal first: a base URL that is not http(s) is named in the form, nothing is stored
    await page.getByTestId('conn-app').selectOption('slack');
    await page.getByTestId('conn-id').fill('team-slack');
    await page.getByTestId('conn-name').fill('Team Slack');
    await page.getByTestId('conn-base-url').fill('ftp://slack.example');
    await page.getByTestId('conn-token').fill(TOKEN);
    await page.getByTestId('conn-create').click();
    await poll(() => page.getByTestId('conn-error').innerText()).toMatch(/\/baseUrl/);
    expect((await (await fetch(`${app.url}/api/connections`)).json()) as unknown[]).toEqual([]);

    await page.getByTestId('conn-base-url').fill(slack.url);
    await page.getByTestId('conn-create').click();
    const card = page.locator('[data-testid="connection"][data-id="team-slack"]');
    await card.waitFor();
    expect(await card.getByTestId('conn-status').innerText()).toBe('ready');
    // the secret went to the runtime and is never shown again
    expect(await page.content()).not.toContain(TOKEN);

    await card.getByTestId('conn-test').click();
    await poll(() => card.getByTestId('conn-test-result').innerText()).toMatch(/^Works/);
    const probe = slack.requests.find((r) => r.path === '/api/auth.test');
    expect(probe?.headers.authorization).toBe(`Bearer ${TOKEN}`);
    await screenshot(page, 'connections');

    // a flow with a Slack node: the default connection id ("slack") is not set up → the banner says so
    const list = new FlowListPage(page);
    await list.open();
    await list.createFlow('Hot leads');
    const ed = new EditorPage(page);
    await ed.waitReady();
    await ed.addFromPalette('action:slack.postMessage');
    await ed.addFromPalette('end');
    await ed.connect('trigger', 'out', 'slack-postmessage');
    await ed.connect('slack-postmessage', 'ok', 'end');
    await poll(() => page.getByTestId('connection-banner').innerText()).toMatch(/slack-postmessage.*slack.*not set up/);

    await ed.select('slack-postmessage');
    const picker = page.getByTestId('param-connection');
    await poll(() => picker.locator('option').allInnerTexts()).toEqual(['— none —', 'slack (not set up)', 'Team Slack (team-slack)']);
    await picker.selectOption('team-slack');
    await poll(() => page.getByTestId('connection-banner').count()).toBe(0);
    await page.getByTestId('param-channel').fill('#leads');
    await page.getByTestId('validation-ok').waitFor();
    await ed.deploy();

    const flow = (await (await fetch(`${app.url}/api/flows/hot-leads`)).json()) as { nodes: { id: string; params?: Record<string, unknown> }[] };
    expect(flow.nodes.find((n) => n.id === 'slack-postmessage')?.params).toMatchObject({ connection: 'team-slack', channel: '#leads' });

    const res = await fetch(`${app.url}/hooks/hot-leads`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'ada@example.com' }) });
    expect(res.status).toBe(202);
    const { runId } = (await res.json()) as { runId: string };
    await poll(async () => ((await (await fetch(`${app.url}/api/runs/${runId}`)).json()) as { status: string }).status).toBe('succeeded');
    const posts = slack.requests.filter((r) => r.path === '/api/chat.postMessage');
    expect(posts).toHaveLength(1);
    expect(posts[0]!.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(posts[0]!.body).toMatchObject({ channel: '#leads', text: 'New lead: ada@example.com' });

    // delete: the confirmation lists the flow that uses it
    const dialogs: string[] = [];
    page.on('dialog', (d) => dialogs.push(d.message()));
    await page.goto('/connections');
    await card.getByTestId('conn-delete').click();
    await poll(() => page.locator('[data-testid="connection"][data-id="team-slack"]').count()).toBe(0);
    expect(dialogs).toHaveLength(1);
    expect(dialogs[0]).toMatch(/hot-leads \(slack-postmessage\)/);
    expect(errors).toEqual([]);
  });

  it('a Google service account: the JSON key file pasted whole, a bad one refused naming the field, the test call gets a token', async () => {
    const { page, errors } = await app.newPage();
    const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const pem = pair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const email = 'robot@acme-crm.iam.gserviceaccount.com';
    google.accounts.set(email, pair.publicKey);
    const keyFile = JSON.stringify({ type: 'service_account', project_id: 'acme-crm', private_key_id: 'k1', private_key: pem, client_email: email, token_uri: 'https://oauth2.googleapis.com/token' }, null, 2);
    await page.goto('/connections');
    await page.getByTestId('connections').waitFor();
    await page.getByTestId('conn-app').selectOption('sheets');
    await page.getByTestId('conn-id').fill('sheets-robot');
    await page.getByTestId('conn-base-url').fill(sheets.url);
    await page.getByTestId('conn-auth-type').selectOption('serviceAccount');
    expect(await page.getByTestId('conn-scopes').inputValue()).toBe('https://www.googleapis.com/auth/spreadsheets');
    await page.getByTestId('conn-tokenUrl').fill(google.tokenUrl);
    await page.getByTestId('conn-keyFile').fill(keyFile.replace('"service_account"', '"authorized_user"'));
    await page.getByTestId('conn-create').click();
    await poll(() => page.getByTestId('conn-error').innerText()).toMatch(/\/auth\/keyFile/);
    await page.getByTestId('conn-keyFile').fill(keyFile);
    await page.getByTestId('conn-create').click();
    const card = page.locator('[data-testid="connection"][data-id="sheets-robot"]');
    await card.waitFor();
    expect(await card.getByTestId('conn-status').innerText()).toBe('ready');
    expect(await page.content()).not.toContain(pem.split('\n')[3]!);
    await card.getByTestId('conn-test').click();
    await poll(() => card.getByTestId('conn-test-result').innerText()).toMatch(/^Works/);
    expect(google.requests).toHaveLength(1);
    expect(google.requests[0]!.form.grant_type).toBe('urn:ietf:params:oauth:grant-type:jwt-bearer');
    expect(sheets.requests.at(-1)!.headers.authorization).toBe(`Bearer ${google.issued[0]!.token}`);
    expect(errors).toEqual([]);
  });
});
