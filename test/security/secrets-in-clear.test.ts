// Issue 12, item 8: secrets written in clear. As found: `flow.emit` with `{{secrets.CRM_KEY}}` put the
// value in the child run's payload; the same through record.setState data, task.create title/notes and
// the outbox text. A secret may appear only in params an outbound call sends (the `secrets` param role):
// anywhere else a deploy is refused 422 naming the node and the path; a flow stored by an earlier
// release keeps running, writes the value "[redacted]" and raises one alert per node.
import { readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRuntime, tempDir, type TestRuntime } from '../support/runtime.ts';
import { startFailServer, type FailServer } from '../support/fail-server.ts';
import { raw, sideEffects } from './support.ts';

const CRM_KEY = 'crm-live-key-9f8e7d6c5b4a';
const env = { FLOWDESK_SECRET_CRM_KEY: CRM_KEY };

const flow = (id: string, nodes: Record<string, unknown>[], trigger: Record<string, unknown> = { type: 'webhook', path: id, auth: { type: 'none' } }) => ({
  dsl: 1, id, name: id, trigger,
  nodes: [...nodes, { id: 'end', type: 'end' }],
  edges: [{ from: 'trigger', to: nodes[0]!.id }, ...nodes.map((n, i) => ({ from: n.id, to: i + 1 < nodes.length ? nodes[i + 1]!.id : 'end' }))],
});
const action = (id: string, type: string, params: Record<string, unknown>) => ({ id, type: 'action', action: type, params });

/** Every file under a directory, as text. */
function filesUnder(dir: string): { file: string; text: string }[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((f) => join(dir, f))
    .filter((f) => statSync(f).isFile())
    .map((file) => ({ file, text: readFileSync(file, 'latin1') }));
}

describe('deploying a flow that names a secret outside an outbound call', () => {
  let rt: TestRuntime;
  let dep: FailServer;
  beforeAll(async () => {
    dep = await startFailServer();
    rt = await startTestRuntime({ env });
  });
  afterAll(async () => {
    await rt?.dispose();
    await dep?.close();
  });

  const refused: [string, Record<string, unknown>[], string][] = [
    ['emit', [action('emit', 'flow.emit', { flowId: 'child', payload: { key: '{{secrets.CRM_KEY}}' } })], '/nodes/0/params/payload/key'],
    ['state', [action('state', 'record.setState', { entity: 'account', key: 'a@x.com', state: 'captured', data: { k: { $logic: { var: 'secrets.CRM_KEY' } } } })], '/nodes/0/params/data/k/$logic'],
    ['task-title', [action('task', 'task.create', { title: 'Key {{secrets.CRM_KEY}}' })], '/nodes/0/params/title'],
    ['task-notes', [action('task', 'task.create', { title: 'Call', notes: '{{ secrets.CRM_KEY }}' })], '/nodes/0/params/notes'],
    ['mail', [action('mail', 'email.send', { to: 'owner@example.com', subject: 'Hi', text: 'the key is {{secrets.CRM_KEY}}' })], '/nodes/0/params/text'],
    ['llm', [action('llm', 'text.generate', { prompt: 'use {{secrets.CRM_KEY}}' })], '/nodes/0/params/prompt'],
    ['compute', [{ id: 'calc', type: 'compute', set: { k: { var: 'secrets.CRM_KEY' } } }], '/nodes/0/set/k'],
  ];

  it('is refused 422 naming the node and the path, and nothing is stored or run', async () => {
    const before = await sideEffects(rt, [dep]);
    for (const [id, nodes, path] of refused) {
      const res = await raw(rt, { method: 'PUT', path: `/api/flows/${id}`, headers: { 'content-type': 'application/json' }, body: JSON.stringify(flow(id, nodes)) });
      expect(res.status, id).toBe(422);
      expect(res.body.errors, id).toEqual([
        { path, nodeId: (nodes[0] as { id: string }).id, message: expect.stringMatching(/^"secrets\.CRM_KEY" is a secret: .* it would be stored or shown in clear\. A secret may appear only in params sent to an outside service \(http\.request url, headers, query, body\)$/) },
      ]);
      expect((await raw(rt, { method: 'POST', path: `/hooks/${id}`, headers: { 'content-type': 'application/json' }, body: '{}' })).status).toBe(404);
    }
    expect(await sideEffects(rt, [dep])).toEqual(before);
    expect(JSON.stringify(await rt.store.listFlows())).not.toContain('CRM_KEY');
  });

  it('an outbound call may carry it, and valid traffic passes', async () => {
    const ok = flow('push', [action('push', 'http.request', { url: `${dep.url}/in`, headers: { authorization: 'Bearer {{secrets.CRM_KEY}}' }, body: { email: '{{payload.email}}' } })]);
    expect((await rt.put('/api/flows/push', ok)).status).toBe(200);
    const res = await raw(rt, { method: 'POST', path: '/hooks/push', headers: { 'content-type': 'application/json' }, body: '{"email":"ada@example.com"}' });
    expect(res.status).toBe(202);
    await rt.settle();
    expect(dep.requests.map((r) => r.headers.authorization)).toEqual([`Bearer ${CRM_KEY}`]);
    expect(JSON.stringify((await rt.get(`/api/runs/${res.body.runId}`)).body)).not.toContain(CRM_KEY);
  });
});

describe('a flow stored by an earlier release that names a secret in clear', () => {
  const dataDir = tempDir();
  const leaky = flow('leaky', [
    action('emit', 'flow.emit', { flowId: 'child', payload: { key: '{{secrets.CRM_KEY}}', email: '{{payload.email}}' } }),
    action('task', 'task.create', { title: 'Key {{secrets.CRM_KEY}}', notes: '{{secrets.CRM_KEY}}' }),
    action('state', 'record.setState', { entity: 'account', key: '{{payload.email}}', state: 'captured', data: { k: '{{secrets.CRM_KEY}}' } }),
    action('mail', 'email.send', { to: 'owner@example.com', subject: 'New lead', text: 'key {{secrets.CRM_KEY}} for {{payload.email}}' }),
  ]);
  const child = flow('child', [{ id: 'calc', type: 'compute', set: { got: { var: 'payload.key' } } }], { type: 'manual' });
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('keeps running with the value redacted everywhere it is written, and raises one alert per node, once', async () => {
    // the earlier release: stored as it was (no deploy check), straight into the store
    const old = await startTestRuntime({ env, dataDir });
    await old.store.putFlow({ ...leaky, active: true } as never, new Date().toISOString());
    expect((await old.put('/api/flows/child', child)).status).toBe(200);
    await old.close();

    const rt = await startTestRuntime({ env, dataDir });
    const alerts = (await rt.get('/api/alerts')).body.filter((a: any) => a.kind === 'misplaced_secret');
    expect(alerts.map((a: any) => a.nodeId).sort()).toEqual(['emit', 'mail', 'state', 'task']);
    expect(alerts.find((a: any) => a.nodeId === 'emit').message).toMatch(/flow leaky \(version 1\), node "emit", names a secret .*secrets\.CRM_KEY at \/nodes\/0\/params\/payload\/key.*written "\[redacted\]"/);

    const res = await raw(rt, { method: 'POST', path: '/hooks/leaky', headers: { 'content-type': 'application/json' }, body: '{"email":"ada@example.com"}' });
    expect(res.status).toBe(202);
    await rt.settle();
    const run = (await rt.get(`/api/runs/${res.body.runId}`)).body;
    expect(run.status).toBe('succeeded');
    const childRun = (await rt.get(`/api/runs?flowId=child`)).body[0];
    expect((await rt.get(`/api/runs/${childRun.id}`)).body.payload).toEqual({ key: '[redacted]', email: 'ada@example.com' });
    expect((await rt.get('/api/tasks')).body.map((t: any) => [t.title, t.notes])).toEqual([['Key [redacted]', '[redacted]']]);
    expect((await rt.get('/api/records/account/ada@example.com')).body.data).toMatchObject({ k: '[redacted]' });
    expect((await rt.get('/api/outbox')).body.map((m: any) => m.text)).toEqual(['key [redacted] for ada@example.com']);
    await rt.close();

    // nothing in the data dir holds the value
    for (const f of filesUnder(dataDir)) expect(f.text.includes(CRM_KEY), f.file).toBe(false);

    // a restart raises no second alert
    const again = await startTestRuntime({ env, dataDir });
    expect((await again.get('/api/alerts')).body.filter((a: any) => a.kind === 'misplaced_secret')).toHaveLength(4);
    await again.close();
  });
});
