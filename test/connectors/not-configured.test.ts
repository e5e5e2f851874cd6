// A connector whose connection is not set up never passes for a success: the step ends
// `not-configured` (skipped, nothing sent), the run says so and goes on, the flow's banner data names
// the node, the KPIs count it, and the founder gets one P1 alert per flow — again only after a
// connection change left the flow still unconfigured.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRuntime, type TestRuntime } from '../support/runtime.ts';
import { startFakeSlack, type FakeSlack } from '../support/fakes/slack.ts';

const TOKEN = 'xoxb-nc-0001-abcdef';
let rt: TestRuntime;
let slack: FakeSlack;

const flow = {
  dsl: 1,
  id: 'lead-ping',
  name: 'Lead ping',
  severity: 'P2',
  trigger: { type: 'webhook', path: 'lead-ping', auth: { type: 'none' } },
  nodes: [
    { id: 'notify', type: 'action', action: 'slack.postMessage', firstResponse: true, minutesSaved: 2, params: { connection: 'slack', channel: '#leads', text: 'Lead {{payload.email}}' } },
    { id: 'todo', type: 'action', action: 'task.create', params: { title: 'Call {{payload.email}}' } },
    { id: 'end', type: 'end' },
  ],
  edges: [{ from: 'trigger', to: 'notify' }, { from: 'notify', to: 'todo' }, { from: 'todo', to: 'end' }],
};

const notConfiguredAlerts = async () => ((await rt.get('/api/alerts')).body as { kind: string; flowId: string; severity: string; message: string }[]).filter((a) => a.kind === 'not_configured');

beforeAll(async () => {
  rt = await startTestRuntime();
  slack = await startFakeSlack(rt.clock);
  slack.tokens.add(TOKEN);
  expect((await rt.put('/api/flows/lead-ping', flow)).status).toBe(200);
});
afterAll(async () => {
  await slack.close();
  await rt.dispose();
});

describe('not-configured', () => {
  it('no connection: the step is passed over, marked; the run goes on and says so; nothing is sent', async () => {
    const ids: string[] = [];
    for (const email of ['a@example.com', 'b@example.com']) ids.push((await rt.post('/hooks/lead-ping', { email })).body.runId);
    await rt.settle();
    for (const id of ids) {
      const run = (await rt.get(`/api/runs/${id}`)).body;
      expect(run).toMatchObject({ status: 'succeeded', outcome: 'not-configured' });
      expect(run.steps.map((s: { nodeId: string; status: string }) => `${s.nodeId}:${s.status}`)).toEqual(['notify:skipped', 'todo:succeeded', 'end:succeeded']);
      expect(run.steps[0]).toMatchObject({ outcome: 'not-configured', port: 'ok', error: expect.stringContaining('connection "slack" does not exist') });
      expect(run.steps[0].output).toBeUndefined();
    }
    expect(slack.requests).toHaveLength(0);
    expect((await rt.get('/api/runs?status=succeeded')).body.filter((r: { outcome?: string }) => r.outcome === 'not-configured')).toHaveLength(2);
  });

  it('one P1 alert for the flow, however many runs; the banner data names the node; the KPIs count the runs and never as a first response', async () => {
    const alerts = await notConfiguredAlerts();
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ flowId: 'lead-ping', severity: 'P1', message: expect.stringContaining('nothing was sent') });
    expect((await rt.get('/api/connection-usage?flowId=lead-ping')).body).toEqual([{ flowId: 'lead-ping', nodeId: 'notify', action: 'slack.postMessage', connection: 'slack', status: 'missing' }]);
    const k = (await rt.get('/api/kpis?from=2026-03-01T00:00:00Z&to=2026-03-03T00:00:00Z')).body;
    expect(k.notConfigured).toEqual({ runs: 2, perFlow: [{ flowId: 'lead-ping', runs: 2, nodeIds: ['notify'] }] });
    // a skipped step is not a first response and saves no minutes
    expect(k.leadResponse.samples).toBe(0);
    expect(k.manualHours.minutesSaved).toBe(0);
  });

  it('once the connection exists the step posts; deleted again, the flow alerts once more', async () => {
    expect((await rt.post('/api/connections', { id: 'slack', app: 'slack', name: 'Acme', auth: { type: 'bearer', token: TOKEN }, baseUrl: slack.url })).status).toBe(201);
    const ok = (await rt.post('/hooks/lead-ping', { email: 'c@example.com' })).body.runId;
    await rt.settle();
    const run = (await rt.get(`/api/runs/${ok}`)).body;
    expect(run.status).toBe('succeeded');
    expect(run.outcome).toBeUndefined();
    expect(slack.requests).toHaveLength(1);
    expect((await rt.get('/api/connection-usage?flowId=lead-ping')).body[0].status).toBe('ready');

    expect((await rt.del('/api/connections/slack?force=true')).status).toBe(200);
    const again = (await rt.post('/hooks/lead-ping', { email: 'd@example.com' })).body.runId;
    await rt.settle();
    expect((await rt.get(`/api/runs/${again}`)).body.outcome).toBe('not-configured');
    expect(await notConfiguredAlerts()).toHaveLength(2);
    expect(slack.requests).toHaveLength(1);
  });

  it('a connection of another app is a final error naming both apps, not a silent skip', async () => {
    expect((await rt.post('/api/connections', { id: 'slack', app: 'http', name: 'not slack', auth: { type: 'bearer', token: TOKEN }, baseUrl: slack.url })).status).toBe(201);
    try {
      const id = (await rt.post('/hooks/lead-ping', { email: 'e@example.com' })).body.runId;
      await rt.settle();
      const run = (await rt.get(`/api/runs/${id}`)).body;
      expect(run.status).toBe('dead');
      expect(run.error).toContain('connection "slack" is a http connection; slack.postMessage needs a slack connection');
      expect(slack.requests).toHaveLength(1);
      expect((await rt.get('/api/connection-usage?flowId=lead-ping')).body[0].status).toBe('wrong-app');
    } finally {
      await rt.del('/api/connections/slack?force=true');
    }
  });

  it('inside a foreach body too: every item skips the step, the run says not-configured, one alert for that flow', async () => {
    const loop = {
      dsl: 1,
      id: 'loop-ping',
      name: 'Loop ping',
      severity: 'P2',
      trigger: { type: 'webhook', path: 'loop-ping', auth: { type: 'none' } },
      nodes: [
        { id: 'each', type: 'foreach', items: { var: 'payload.emails' }, concurrency: 2 },
        { id: 'ping', type: 'action', action: 'slack.postMessage', params: { connection: 'loop-slack', channel: '#leads', text: 'Lead {{item}}' } },
        { id: 'item-end', type: 'end' },
        { id: 'end', type: 'end' },
      ],
      edges: [
        { from: 'trigger', to: 'each' },
        { from: 'each', port: 'item', to: 'ping' },
        { from: 'ping', to: 'item-end' },
        { from: 'each', port: 'done', to: 'end' },
      ],
    };
    expect((await rt.put('/api/flows/loop-ping', loop)).status).toBe(200);
    slack.requests.length = 0;
    const { body } = await rt.post('/hooks/loop-ping', { emails: ['a@example.com', 'b@example.com', 'c@example.com'] });
    await rt.settle();
    const run = (await rt.get(`/api/runs/${body.runId}`)).body;
    expect(run).toMatchObject({ status: 'succeeded', outcome: 'not-configured' });
    const items = run.loops.each.states as { status: string; outcome?: string; steps: { nodeId: string; status: string; outcome?: string }[] }[];
    expect(items.map((i) => i.outcome)).toEqual(['not-configured', 'not-configured', 'not-configured']);
    for (const i of items) expect(i.steps[0]).toMatchObject({ nodeId: 'ping', status: 'skipped', outcome: 'not-configured' });
    expect(slack.requests).toHaveLength(0);
    expect((await notConfiguredAlerts()).filter((a) => a.flowId === 'loop-ping')).toHaveLength(1);
  });
});
