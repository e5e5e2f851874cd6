// slack.postMessage and slack.sendWebhook against a loopback Slack that answers as Slack documents:
// the request shape field by field, success, a retryable failure retried on the step's schedule (the
// fake counting every call, at due times on the injected clock), and a final failure dead-lettered
// with Slack's own error code.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startTestRuntime, type TestRuntime } from '../support/runtime.ts';
import { startFakeSlack, type FakeSlack } from '../support/fakes/slack.ts';

const T0 = Date.parse('2026-03-02T09:00:00.000Z');
const TOKEN = 'xoxb-1111-2222-abcdefghijklmnop';
const HOOK = 'T0ACME/B0HOOK/abcdefghijklmnopqrstuvwx';

let rt: TestRuntime;
let slack: FakeSlack;

const flow = (id: string, node: Record<string, unknown>) => ({
  dsl: 1,
  id,
  name: id,
  severity: 'P1',
  sop: ['Post it in Slack by hand'],
  trigger: { type: 'webhook', path: id, auth: { type: 'none' } },
  nodes: [{ id: 'notify', type: 'action', ...node }, { id: 'end', type: 'end' }],
  edges: [{ from: 'trigger', to: 'notify' }, { from: 'notify', to: 'end' }],
});

async function walk(ms: number, stepMs = 5000) {
  for (let t = 0; t < ms; t += stepMs) await rt.advance(stepMs);
}

beforeAll(async () => {
  rt = await startTestRuntime();
  slack = await startFakeSlack(rt.clock);
  slack.tokens.add(TOKEN);
  slack.hooks.add(HOOK);
  expect((await rt.post('/api/connections', { id: 'slack', app: 'slack', name: 'Acme Slack', auth: { type: 'bearer', token: TOKEN }, baseUrl: slack.url })).status).toBe(201);
  // the webhook URL pasted whole: origin → baseUrl, tail → the credential
  const hook = await rt.post('/api/connections', { id: 'alerts-hook', app: 'slack-webhook', name: '#alerts webhook', auth: { type: 'bearer', token: `${slack.url}/services/${HOOK}` } });
  expect(hook.status).toBe(201);
  expect(hook.body).toMatchObject({ baseUrl: slack.url, auth: { type: 'bearer', token: '********' } });
  const post = { action: 'slack.postMessage', params: { connection: 'slack', channel: '#leads', text: 'New lead: {{payload.email}}', blocks: [{ type: 'section', text: { type: 'mrkdwn', text: '*{{payload.email}}*' } }] } };
  expect((await rt.put('/api/flows/post', flow('post', post))).status).toBe(200);
  expect((await rt.put('/api/flows/hook', flow('hook', { action: 'slack.sendWebhook', params: { connection: 'alerts-hook', text: 'Lead {{payload.email}}' } }))).status).toBe(200);
});
afterAll(async () => {
  await slack.close();
  await rt.dispose();
});
beforeEach(() => {
  slack.requests.length = 0;
  slack.script([]);
  rt.clock.set(new Date(T0).toISOString());
});

describe('slack.postMessage', () => {
  it('posts chat.postMessage with the bot token: the request field by field, and a typed output', async () => {
    const { body } = await rt.post('/hooks/post', { email: 'ada@example.com' });
    await rt.settle();
    const run = (await rt.get(`/api/runs/${body.runId}`)).body;
    expect(run.status).toBe('succeeded');
    expect(slack.requests).toHaveLength(1);
    const r = slack.requests[0]!;
    expect(r.method).toBe('POST');
    expect(r.path).toBe('/api/chat.postMessage');
    expect(r.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(r.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(r.headers['idempotency-key']).toBe(`${body.runId}:notify`);
    expect(r.body).toEqual({ channel: '#leads', text: 'New lead: ada@example.com', blocks: [{ type: 'section', text: { type: 'mrkdwn', text: '*ada@example.com*' } }] });
    expect(run.steps[0]).toMatchObject({ nodeId: 'notify', status: 'succeeded', port: 'ok', output: { channel: 'C0LEADS', ts: '1700000000.000001' } });
    expect(run.steps[0].attempts).toHaveLength(1);
    expect(JSON.stringify(run)).not.toContain(TOKEN);
  });

  it('ratelimited (429, Retry-After 30) then internal_error: retried at +30 s and on schedule (+2 m), three calls in all', async () => {
    slack.script([
      { status: 429, headers: { 'retry-after': '30' }, body: { ok: false, error: 'ratelimited' } },
      { status: 200, body: { ok: false, error: 'internal_error' } },
    ]);
    const { body } = await rt.post('/hooks/post', { email: 'bo@example.com' });
    await rt.settle();
    let run = (await rt.get(`/api/runs/${body.runId}`)).body;
    expect(run.status).toBe('waiting');
    expect(run.wakeAt).toBe(new Date(T0 + 30_000).toISOString());
    await walk(3 * 60_000);
    expect(slack.requests.map((r) => (r.at - T0) / 1000)).toEqual([0, 30, 150]);
    run = (await rt.get(`/api/runs/${body.runId}`)).body;
    expect(run.status).toBe('succeeded');
    expect(run.steps[0].attempts.map((a: { errorClass?: string }) => a.errorClass ?? 'ok')).toEqual(['429', '5xx', 'ok']);
    expect(run.steps[0].attempts[0].error).toContain('ratelimited');
    expect(run.steps[0].attempts[1].error).toContain('internal_error');
  });

  it("channel_not_found is final: one call, a dead letter and an alert carrying Slack's error", async () => {
    const before = (await rt.get('/api/alerts')).body.length;
    let runId = '';
    slack.channels.delete('leads');
    try {
      runId = (await rt.post('/hooks/post', { email: 'cy@example.com' })).body.runId;
      await rt.settle();
      await walk(15 * 60_000, 60_000);
    } finally {
      slack.channels.set('leads', 'C0LEADS');
    }
    expect(slack.requests).toHaveLength(1);
    const run = (await rt.get(`/api/runs/${runId}`)).body;
    expect(run.status).toBe('dead');
    expect(run.steps[0].attempts[0]).toMatchObject({ status: 200, errorClass: '4xx' });
    expect(run.error).toContain('Slack: channel_not_found');
    const dl = (await rt.get('/api/dead-letters?flowId=post')).body.find((d: { id: string }) => d.id === runId);
    expect(dl.error).toContain('channel_not_found');
    const alerts = (await rt.get('/api/alerts')).body;
    expect(alerts.length).toBe(before + 1);
    expect(alerts.find((a: { runId: string }) => a.runId === runId)).toMatchObject({ kind: 'dead_letter', flowId: 'post' });
  });

  it('a revoked bot token (invalid_auth) is final with Slack\'s code, never retried', async () => {
    slack.tokens.delete(TOKEN);
    try {
      const { body } = await rt.post('/hooks/post', { email: 'di@example.com' });
      await rt.settle();
      await walk(15 * 60_000, 60_000);
      expect(slack.requests).toHaveLength(1);
      const run = (await rt.get(`/api/runs/${body.runId}`)).body;
      expect(run.status).toBe('dead');
      expect(run.error).toContain('invalid_auth');
    } finally {
      slack.tokens.add(TOKEN);
    }
  });

  it('a dropped connection is a network failure, retried on the 30 s / 2 m / 10 m schedule until dead: four calls', async () => {
    slack.script(['reset', 'reset', 'reset', 'reset']);
    const { body } = await rt.post('/hooks/post', { email: 'ed@example.com' });
    await rt.settle();
    await walk(13 * 60_000, 10_000);
    expect(slack.requests.map((r) => (r.at - T0) / 1000)).toEqual([0, 30, 150, 750]);
    const run = (await rt.get(`/api/runs/${body.runId}`)).body;
    expect(run.status).toBe('dead');
    expect(run.steps[0].attempts.every((a: { errorClass: string }) => a.errorClass === 'network')).toBe(true);
  });
});

describe("the editor's 'Run this step' (POST /api/steps/run)", () => {
  it('performs a connector step once with its connection, when confirmed, and never answers the token back', async () => {
    const draft = flow('draft', { action: 'slack.postMessage', params: { connection: 'slack', channel: '#leads', text: 'Try: {{payload.email}}' } });
    const asked = await rt.post('/api/steps/run', { flow: draft, nodeId: 'notify', payload: { email: 'bo@example.com' } });
    expect(asked.body).toMatchObject({ status: 'needs-confirmation', action: 'slack.postMessage' });
    expect(slack.requests).toHaveLength(0);
    const sent = await rt.post('/api/steps/run', { flow: draft, nodeId: 'notify', payload: { email: 'bo@example.com' }, confirm: true });
    expect(sent.body).toMatchObject({ status: 'called', ok: true, output: { channel: expect.any(String), ts: expect.any(String) } });
    expect(slack.requests).toHaveLength(1);
    expect(slack.requests[0]!.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(slack.requests[0]!.body).toMatchObject({ channel: '#leads', text: 'Try: bo@example.com' });
    expect(JSON.stringify(sent.body)).not.toContain(TOKEN);
  });
});

describe('slack.sendWebhook', () => {
  it('posts {text} to /services/<the credential>, with no Authorization header', async () => {
    const { body } = await rt.post('/hooks/hook', { email: 'ada@example.com' });
    await rt.settle();
    const run = (await rt.get(`/api/runs/${body.runId}`)).body;
    expect(run.status).toBe('succeeded');
    expect(slack.requests).toHaveLength(1);
    const r = slack.requests[0]!;
    expect(r.method).toBe('POST');
    expect(r.path).toBe(`/services/${HOOK}`);
    expect(r.headers.authorization).toBeUndefined();
    expect(r.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(r.body).toEqual({ text: 'Lead ada@example.com' });
    expect(run.steps[0].output).toEqual({ delivered: true });
  });

  it('429 with Retry-After retries after it; a 404 no_service is final and the step error never shows the hook URL', async () => {
    slack.script([{ status: 429, headers: { 'retry-after': '45' }, body: 'rate_limited' }]);
    const ok = (await rt.post('/hooks/hook', { email: 'fy@example.com' })).body;
    await rt.settle();
    await walk(60_000);
    expect(slack.requests.map((r) => (r.at - T0) / 1000)).toEqual([0, 45]);
    expect((await rt.get(`/api/runs/${ok.runId}`)).body.status).toBe('succeeded');

    slack.requests.length = 0;
    slack.hooks.delete(HOOK);
    try {
      const { body } = await rt.post('/hooks/hook', { email: 'gi@example.com' });
      await rt.settle();
      await walk(15 * 60_000, 60_000);
      expect(slack.requests).toHaveLength(1);
      const run = (await rt.get(`/api/runs/${body.runId}`)).body;
      expect(run.status).toBe('dead');
      expect(run.error).toContain('no_service');
      expect(JSON.stringify(run)).not.toContain(HOOK.split('/')[2]);
    } finally {
      slack.hooks.add(HOOK);
    }
  });
});
