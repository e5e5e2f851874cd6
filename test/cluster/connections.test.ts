// Connections with two instances on one PostgreSQL database (issue 18, scope 1): a connection created
// through A is what a run on B authenticates with; its token replaced through A is the one B's next
// run sends — the old one never again — and B answers the connection as A left it, masked.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { createDatabase } from '../../apps/runtime/src/store/postgres/harness.ts';
import { startFakeSlack, type FakeSlack } from '../support/fakes/slack.ts';
import { startPostgres, type PostgresInstance } from '../support/postgres.ts';
import { startTestRuntime, type TestRuntime } from '../support/runtime.ts';

const FIRST = 'xoxb-1111-cluster-first-token';
const SECOND = 'xoxb-2222-cluster-second-token';

const notifyFlow = {
  dsl: 1,
  id: 'notify',
  name: 'Notify',
  trigger: { type: 'webhook', path: 'notify', auth: { type: 'none' } },
  nodes: [
    { id: 'post', type: 'action', action: 'slack.postMessage', params: { connection: 'slack', channel: '#general', text: 'a lead came in' } },
    { id: 'end', type: 'end' },
  ],
  edges: [
    { from: 'trigger', to: 'post' },
    { from: 'post', to: 'end' },
  ],
};

let pgServer: PostgresInstance;
let slack: FakeSlack;
let a: TestRuntime;
let b: TestRuntime;
let url = '';
beforeAll(async () => {
  pgServer = await startPostgres();
  url = (await createDatabase(pgServer)).url;
  // the reconcile an hour away: a change whose notification is lost stays unheard of here
  const env = { FLOWDESK_CLUSTER_RECONCILE_MS: '3600000' };
  a = await startTestRuntime({ databaseUrl: url, env });
  b = await startTestRuntime({ databaseUrl: url, env });
  slack = await startFakeSlack(a.clock);
}, 120_000);
afterAll(async () => {
  await a?.dispose();
  await b?.dispose();
  await slack?.close();
  await pgServer?.stop();
});

/** Sends the webhook to `rt` and waits until the run it started ends; its status and the Slack call it made. */
async function notifyThrough(rt: TestRuntime): Promise<{ status: string; authorization: string | undefined }> {
  const before = slack.requests.length;
  const res = await rt.post('/hooks/notify', {});
  expect(res.status).toBe(202);
  const deadline = Date.now() + 15_000;
  for (;;) {
    const run = (await rt.get(`/api/runs/${res.body.runId}`)).body;
    if (['succeeded', 'failed', 'dead'].includes(run.status)) {
      const calls = slack.requests.slice(before).filter((r) => r.path === '/api/chat.postMessage');
      return { status: run.status, authorization: calls.at(-1)?.headers.authorization };
    }
    if (Date.now() > deadline) throw new Error(`run ${res.body.runId} still ${run.status}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('connections with two instances on PostgreSQL', { timeout: 60_000 }, () => {
  it('created through A, used by a run on B; its token replaced through A is the one B sends next', async () => {
    slack.tokens.add(FIRST);
    expect((await a.post('/api/connections', { id: 'slack', app: 'slack', name: 'Acme', auth: { type: 'bearer', token: FIRST }, baseUrl: slack.url })).status).toBe(201);
    expect((await a.put('/api/flows/notify', notifyFlow)).status).toBe(200);
    expect(await notifyThrough(b)).toEqual({ status: 'succeeded', authorization: `Bearer ${FIRST}` });

    // rotated through A: Slack stops taking the first token; B's next run sends the second
    slack.tokens.delete(FIRST);
    slack.tokens.add(SECOND);
    expect((await a.put('/api/connections/slack', { name: 'Acme workspace', auth: { type: 'bearer', token: SECOND } })).status).toBe(200);
    expect(await notifyThrough(b)).toEqual({ status: 'succeeded', authorization: `Bearer ${SECOND}` });

    const seen = await b.get('/api/connections/slack');
    expect(seen.body).toMatchObject({ name: 'Acme workspace', auth: { type: 'bearer', token: '********' }, status: 'ready', usedBy: [{ flowId: 'notify', nodeIds: ['post'] }] });
    expect(JSON.stringify(seen.body)).not.toContain(SECOND);
  });

  it('a connection a flow deployed through another instance uses (its notification lost) is not removed without force: 409 naming that flow', async () => {
    expect((await a.post('/api/connections', { id: 'spare', app: 'slack', name: 'Spare', auth: { type: 'bearer', token: FIRST }, baseUrl: slack.url })).status).toBe(201);
    const usesSpare = { ...notifyFlow, id: 'uses-spare', name: 'Uses spare', version: 1, trigger: { ...notifyFlow.trigger, path: 'uses-spare' }, nodes: [{ ...notifyFlow.nodes[0], params: { ...notifyFlow.nodes[0]!.params, connection: 'spare' } }, notifyFlow.nodes[1]] };
    const c = new pg.Client(url);
    await c.connect();
    await c.query('INSERT INTO flows (id, version, active, doc, deployed_at) VALUES ($1, 1, true, $2::json, now())', ['uses-spare', JSON.stringify(usesSpare)]);
    await c.end();
    expect((await a.get('/api/flows/uses-spare')).status).toBe(404); // A has not heard of it
    const refused = await a.del('/api/connections/spare');
    expect(refused.status).toBe(409);
    expect(refused.body.error).toMatch(/^connection spare is used by 1 flow: uses-spare \(post\)/);
    expect((await b.get('/api/connections/spare')).status).toBe(200);
    expect((await a.del('/api/connections/spare?force=true')).status).toBe(200);
  });
});
