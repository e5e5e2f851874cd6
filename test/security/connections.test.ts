// A connection's credential, after being used (successes, failures that echo it back, the connection
// test), is found nowhere in clear: not in the data dir, the logs, the flow exports, the runs and their
// steps, dead letters, alerts (stored and delivered), or any API answer. And it is never sent to a host
// other than its connection's base URL or its app's: neither by a connector nor by an http.request
// naming the connection.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../apps/runtime/src/observability/logger.ts';
import { startTestRuntime, type TestRuntime } from '../support/runtime.ts';
import { startFakeSlack, type FakeSlack } from '../support/fakes/slack.ts';
import { startFailServer, type FailServer } from '../support/fail-server.ts';

const TOKEN = 'xoxb-4242-4242-sup3rs3cr3tb0tt0k3n';
const API_KEY = 'crm-key-7f3a9c1e5b2d4f6a';
const PASSWORD = 'pa55w0rd-of-the-founder';

let rt: TestRuntime;
let slack: FakeSlack;
let crm: FailServer;
let other: FailServer;
let alertSink: FailServer;
const logLines: string[] = [];

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(join(dir, e.name)) : [join(dir, e.name)]));
}

const action = (id: string, node: Record<string, unknown>) => ({
  dsl: 1,
  id,
  name: id,
  trigger: { type: 'webhook', path: id, auth: { type: 'none' } },
  nodes: [{ id: 'call', type: 'action', retry: { delays: [] }, ...node }, { id: 'end', type: 'end' }],
  edges: [{ from: 'trigger', to: 'call' }, { from: 'call', to: 'end' }],
});

async function runOf(path: string, payload: unknown = {}) {
  const { body } = await rt.post(`/hooks/${path}`, payload);
  await rt.settle();
  return (await rt.get(`/api/runs/${body.runId}`)).body;
}

beforeAll(async () => {
  crm = await startFailServer();
  other = await startFailServer();
  alertSink = await startFailServer();
  const sink = new Writable({
    write(chunk, _enc, done) {
      logLines.push(String(chunk));
      done();
    },
  });
  rt = await startTestRuntime({ log: createLogger({ destination: sink, level: 'debug', env: {} }), env: { FLOWDESK_ALERT_WEBHOOK_URL: `${alertSink.url}/alerts` } });
  slack = await startFakeSlack(rt.clock);
  slack.tokens.add(TOKEN);
  expect((await rt.post('/api/connections', { id: 'slack', app: 'slack', name: 'Slack', auth: { type: 'bearer', token: TOKEN }, baseUrl: slack.url })).status).toBe(201);
  expect((await rt.post('/api/connections', { id: 'crm', app: 'http', name: 'CRM', auth: { type: 'apiKey', in: 'query', name: 'api_key', value: API_KEY }, baseUrl: crm.url })).status).toBe(201);
  // a base URL on the cloud metadata address: the egress guard refuses every call there (security/egress.ts)
  expect((await rt.post('/api/connections', { id: 'metadata', app: 'slack', name: 'Metadata', auth: { type: 'bearer', token: 'xoxb-meta' }, baseUrl: 'http://169.254.169.254' })).status).toBe(201);
  expect((await rt.post('/api/connections', { id: 'ledger', app: 'http', name: 'Ledger', auth: { type: 'basic', username: 'founder', password: PASSWORD }, baseUrl: `${crm.url}/ledger` })).status).toBe(201);
  for (const f of [
    action('post', { action: 'slack.postMessage', params: { connection: 'slack', channel: '#general', text: 'hello' } }),
    action('crm', { action: 'http.request', params: { method: 'POST', url: `${crm.url}/contacts`, body: { email: '{{payload.email}}' }, connection: 'crm' } }),
    action('ledger', { action: 'http.request', params: { method: 'GET', url: `${crm.url}/ledger/entries`, connection: 'ledger' } }),
    action('crm-elsewhere', { action: 'http.request', params: { method: 'POST', url: `${other.url}/contacts`, body: { email: '{{payload.email}}' }, connection: 'crm' } }),
    action('slack-elsewhere', { action: 'http.request', params: { method: 'POST', url: `${other.url}/api/chat.postMessage`, connection: 'slack' } }),
    action('connector-elsewhere', { action: 'slack.postMessage', params: { connection: 'crm', channel: '#general', text: 'x' } }),
    action('metadata', { action: 'slack.postMessage', params: { connection: 'metadata', channel: '#general', text: 'x' } }),
  ]) {
    expect((await rt.put(`/api/flows/${f.id}`, f)).status).toBe(200);
  }
});
afterAll(async () => {
  await slack.close();
  await crm.close();
  await other.close();
  await alertSink.close();
  await rt.dispose();
});

describe("a connection's credential goes only to its own hosts", () => {
  it('an http.request naming a connection sends its credential to the base URL (query key, basic auth)', async () => {
    crm.requests.length = 0;
    expect((await runOf('crm', { email: 'a@example.com' })).status).toBe('succeeded');
    expect((await runOf('ledger')).status).toBe('succeeded');
    expect(crm.requests.map((r) => r.url)).toEqual([`/contacts?api_key=${API_KEY}`, '/ledger/entries']);
    expect(crm.requests[1]!.headers.authorization).toBe(`Basic ${Buffer.from(`founder:${PASSWORD}`).toString('base64')}`);
  });

  it('pointed at another host, the same http.request is refused and the other host hears nothing', async () => {
    other.requests.length = 0;
    const run = await runOf('crm-elsewhere', { email: 'b@example.com' });
    expect(run.status).toBe('dead');
    expect(run.error).toContain(`connection "crm" (http) sends its credential only to ${crm.url}; refusing to send it to ${other.url}`);
    const slackRun = await runOf('slack-elsewhere');
    expect(slackRun.status).toBe('dead');
    expect(slackRun.error).toContain('refusing to send it to');
    expect(other.requests).toHaveLength(0);
  });

  it('a connector given a connection of another app (whose base URL is elsewhere) refuses it before any call', async () => {
    crm.requests.length = 0;
    const run = await runOf('connector-elsewhere');
    expect(run.status).toBe('dead');
    expect(run.error).toContain('needs a slack connection');
    expect(crm.requests).toHaveLength(0);
  });
});

describe('connectors go through the egress guard', () => {
  it('a connection whose base URL is the cloud metadata address: the step and the connection test are refused before connecting', async () => {
    const run = await runOf('metadata');
    expect(run.status).toBe('dead');
    expect(run.error).toContain('169.254.169.254 is a link-local or cloud-metadata address');
    // refused, not retried: one attempt
    expect(run.steps[0].attempts).toHaveLength(1);
    const probe = await rt.post('/api/connections/metadata/test', {});
    expect(probe.body.ok).toBe(false);
    expect(JSON.stringify(probe.body)).toContain('link-local or cloud-metadata');
  });
});

describe('after use, the credential is nowhere in clear', () => {
  it('greps the data dir, the logs, exports, runs, steps, dead letters, alerts and API answers', async () => {
    // a success, a vendor error that echoes the token back, a CRM error that echoes the URL with the key
    expect((await runOf('post')).status).toBe('succeeded');
    slack.script([{ status: 200, body: { ok: false, error: 'invalid_auth', response_metadata: { messages: [`[ERROR] token ${TOKEN} was revoked`] } } }]);
    const echoed = await runOf('post');
    expect(echoed.status).toBe('dead');
    expect(echoed.error).toContain('invalid_auth');
    expect(echoed.error).toContain('[redacted]');
    crm.script([{ status: 400, body: JSON.stringify({ error: { message: `bad key api_key=${API_KEY}` } }) }]);
    const crmRun = await runOf('crm', { email: 'c@example.com' });
    expect(crmRun.status).toBe('dead');
    // the echo was stored — with the key redacted
    expect(crmRun.steps[0].attempts[0].response).toContain('bad key api_key=[redacted]');
    expect((await rt.post('/api/connections/slack/test', {})).body.ok).toBe(true);
    await rt.settle();

    const secrets = [TOKEN, API_KEY, PASSWORD, Buffer.from(`founder:${PASSWORD}`).toString('base64')];
    const places: Record<string, string> = {};
    for (const f of filesUnder(rt.dataDir)) places[`file ${f}`] = readFileSync(f, 'latin1');
    places.logs = logLines.join('');
    for (const path of ['/api/flows', '/api/runs?limit=200', '/api/dead-letters', '/api/alerts', '/api/connections', '/api/connections/slack', '/api/connections/crm', '/api/connections/ledger', '/api/connection-usage', '/api/outbox', '/api/tasks', '/api/kpis?from=2026-03-01T00:00:00Z&to=2026-03-03T00:00:00Z']) {
      places[`GET ${path}`] = JSON.stringify((await rt.get(path)).body);
    }
    for (const f of (await rt.get('/api/flows')).body as { id: string }[]) places[`export ${f.id}`] = JSON.stringify((await rt.get(`/api/flows/${f.id}`)).body);
    for (const r of (await rt.get('/api/runs?limit=200')).body as { id: string }[]) places[`run ${r.id}`] = JSON.stringify((await rt.get(`/api/runs/${r.id}`)).body);
    places['alert deliveries'] = alertSink.requests.map((r) => r.body).join('\n');
    places.metrics = await (await fetch(`${rt.url}/metrics`)).text();

    // the places were really looked at: the runs, the alert deliveries and the logs are there
    expect(Object.keys(places).filter((k) => k.startsWith('run ')).length).toBeGreaterThanOrEqual(8);
    expect(alertSink.requests.length).toBeGreaterThanOrEqual(2);
    expect(places.logs.length).toBeGreaterThan(0);
    for (const [where, text] of Object.entries(places)) for (const s of secrets) expect(text.includes(s), `${where} holds a secret`).toBe(false);
  });
});
