// /api/connections over real HTTP: create, read (masked), change (a masked secret kept), test, delete
// (listing the flows that use it), the refusals naming their field, and the master key: sealed at rest,
// master.key 0600, a wrong key named, PostgreSQL refused without FLOWDESK_MASTER_KEY.
import { readFileSync, readdirSync, statSync, chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRuntime } from '../../apps/runtime/src/index.ts';
import { quietLog, startTestRuntime, tempDir, type TestRuntime } from '../support/runtime.ts';
import { startFakeSlack, type FakeSlack } from '../support/fakes/slack.ts';

const TOKEN = 'xoxb-9999-8888-api-test-token';
let rt: TestRuntime;
let slack: FakeSlack;

const slackConn = (over: Record<string, unknown> = {}) => ({ id: 'slack', app: 'slack', name: 'Acme', auth: { type: 'bearer', token: TOKEN }, baseUrl: slack.url, ...over });
const notifyFlow = {
  dsl: 1,
  id: 'notify',
  name: 'Notify',
  trigger: { type: 'webhook', path: 'notify', auth: { type: 'none' } },
  nodes: [{ id: 'post', type: 'action', action: 'slack.postMessage', params: { connection: 'slack', channel: '#general', text: 'hi' } }, { id: 'end', type: 'end' }],
  edges: [{ from: 'trigger', to: 'post' }, { from: 'post', to: 'end' }],
};

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(join(dir, e.name)) : [join(dir, e.name)]));
}

beforeAll(async () => {
  rt = await startTestRuntime();
  slack = await startFakeSlack(rt.clock);
  slack.tokens.add(TOKEN);
});
afterAll(async () => {
  await slack.close();
  await rt.dispose();
});

describe('/api/connections', () => {
  it('creates a connection and answers it masked; lists and reads it masked', async () => {
    const created = await rt.post('/api/connections', slackConn());
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ id: 'slack', app: 'slack', name: 'Acme', baseUrl: slack.url, status: 'ready', auth: { type: 'bearer', token: '********' } });
    const list = await rt.get('/api/connections');
    expect(list.body).toEqual([expect.objectContaining({ id: 'slack', auth: { type: 'bearer', token: '********' } })]);
    const one = await rt.get('/api/connections/slack');
    expect(one.body).toMatchObject({ id: 'slack', usedBy: [] });
    for (const r of [created, list, one]) expect(JSON.stringify(r.body)).not.toContain(TOKEN);
  });

  it('refuses bad input naming each field (422), a second connection with the same id (409), an unknown id (404)', async () => {
    const bad = await rt.post('/api/connections', { id: 'x', app: 'slack', name: 'n', auth: { type: 'apiKey', in: 'body', name: 'k', value: 'v' } });
    expect(bad.status).toBe(422);
    expect(bad.body.errors.map((e: { path: string }) => e.path).sort()).toEqual(['/auth/in', '/auth/type']);
    expect((await rt.post('/api/connections', slackConn())).status).toBe(409);
    expect((await rt.get('/api/connections/nope')).status).toBe(404);
    expect((await rt.put('/api/connections/nope', { name: 'x' })).status).toBe(404);
    const notJson = await rt.post('/api/connections', 'id=x', { 'content-type': 'application/x-www-form-urlencoded' });
    expect(notJson.status).toBe(415);
    expect((await rt.put('/api/connections/slack', { app: 'http' })).body.errors).toEqual([{ path: '/app', message: expect.stringContaining('cannot change') }]);
  });

  it('a PUT that sends the mask back keeps the stored token (the test call still authenticates)', async () => {
    const put = await rt.put('/api/connections/slack', { ...slackConn({ name: 'Acme workspace' }), auth: { type: 'bearer', token: '********' } });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ name: 'Acme workspace', auth: { token: '********' } });
    slack.requests.length = 0;
    const test = await rt.post('/api/connections/slack/test', {});
    expect(test.body).toEqual({ ok: true, status: 200, message: 'authenticated as flowdesk in Acme' });
    expect(slack.requests).toHaveLength(1);
    expect(slack.requests[0]).toMatchObject({ method: 'POST', path: '/api/auth.test', headers: expect.objectContaining({ authorization: `Bearer ${TOKEN}` }) });
  });

  it("the test reports Slack's refusal of a token, in Slack's words", async () => {
    expect((await rt.post('/api/connections', slackConn({ id: 'slack-old', auth: { type: 'bearer', token: 'xoxb-revoked-0000' } }))).status).toBe(201);
    const test = await rt.post('/api/connections/slack-old/test', {});
    expect(test.status).toBe(200);
    expect(test.body).toMatchObject({ ok: false, errorClass: '4xx', error: expect.stringContaining('invalid_auth') });
    expect(JSON.stringify(test.body)).not.toContain('xoxb-revoked-0000');
    expect((await rt.del('/api/connections/slack-old')).status).toBe(200);
  });

  it('DELETE of a connection a flow uses answers 409 listing the flows; ?force=true deletes it and the step ends not-configured', async () => {
    expect((await rt.put('/api/flows/notify', notifyFlow)).status).toBe(200);
    expect((await rt.get('/api/connections/slack')).body.usedBy).toEqual([{ flowId: 'notify', nodeIds: ['post'] }]);
    expect((await rt.get('/api/connection-usage?flowId=notify')).body).toEqual([{ flowId: 'notify', nodeId: 'post', action: 'slack.postMessage', connection: 'slack', status: 'ready' }]);
    const refused = await rt.del('/api/connections/slack');
    expect(refused.status).toBe(409);
    expect(refused.body.usedBy).toEqual([{ flowId: 'notify', nodeIds: ['post'] }]);
    expect(refused.body.error).toContain('notify (post)');
    const gone = await rt.del('/api/connections/slack?force=true');
    expect(gone.body).toEqual({ id: 'slack', deleted: true, usedBy: [{ flowId: 'notify', nodeIds: ['post'] }] });
    expect((await rt.get('/api/connection-usage?flowId=notify')).body[0].status).toBe('missing');
    expect((await rt.post('/api/connections', slackConn())).status).toBe(201);
  });

  it('secrets are sealed at rest: no file in the data dir holds the token; master.key is 0600', async () => {
    for (const f of filesUnder(rt.dataDir)) expect(readFileSync(f).includes(TOKEN), f).toBe(false);
    const key = statSync(join(rt.dataDir, 'master.key'));
    expect(key.mode & 0o777).toBe(0o600);
    const stored = readdirSync(join(rt.dataDir, 'db')).filter((n) => n.startsWith('connections')).map((n) => readFileSync(join(rt.dataDir, 'db', n), 'utf8')).join('');
    expect(stored).toContain('"kid"');
    expect(stored).toContain('"slack"');
  });
});

describe('the master key', () => {
  it('the same data dir reopens with its master.key: the connection still works', async () => {
    const dir = tempDir();
    const a = await startTestRuntime({ dataDir: dir });
    expect((await a.post('/api/connections', slackConn())).status).toBe(201);
    await a.close();
    const b = await startTestRuntime({ dataDir: dir });
    try {
      expect((await b.post('/api/connections/slack/test', {})).body.ok).toBe(true);
    } finally {
      await b.dispose();
    }
  });

  it('another FLOWDESK_MASTER_KEY than the one that sealed it: a clear error naming both keys, nothing sent', async () => {
    const dir = tempDir();
    const a = await startTestRuntime({ dataDir: dir });
    expect((await a.post('/api/connections', slackConn())).status).toBe(201);
    await a.close();
    const b = await startTestRuntime({ dataDir: dir, env: { FLOWDESK_MASTER_KEY: Buffer.alloc(32, 7).toString('base64') } });
    try {
      slack.requests.length = 0;
      const test = await b.post('/api/connections/slack/test', {});
      expect(test.body).toMatchObject({ ok: false, error: expect.stringMatching(/sealed under master key \w+, but the master key now is \w+/) });
      expect(slack.requests).toHaveLength(0);
      expect((await b.get('/api/connections/slack')).body).toMatchObject({ id: 'slack', auth: { type: 'bearer' } });
    } finally {
      await b.dispose();
    }
  });

  it('refuses to start: a malformed FLOWDESK_MASTER_KEY, a master.key readable by others, PostgreSQL without FLOWDESK_MASTER_KEY', async () => {
    const dir = tempDir();
    await expect(startRuntime({ port: 0, dataDir: dir, log: quietLog, pollMs: 0, env: { FLOWDESK_MASTER_KEY: 'short' } })).rejects.toThrow(/FLOWDESK_MASTER_KEY must be 32 random bytes/);
    writeFileSync(join(dir, 'master.key'), `${Buffer.alloc(32, 1).toString('base64')}\n`);
    chmodSync(join(dir, 'master.key'), 0o644);
    await expect(startRuntime({ port: 0, dataDir: dir, log: quietLog, pollMs: 0, env: {} })).rejects.toThrow(/master\.key has mode 0644/);
    // refused before any connection to the database is tried
    await expect(startRuntime({ port: 0, dataDir: tempDir(), log: quietLog, pollMs: 0, env: {}, databaseUrl: 'postgres://127.0.0.1:1/none' })).rejects.toThrow(/FLOWDESK_MASTER_KEY is required with PostgreSQL/);
  });
});
