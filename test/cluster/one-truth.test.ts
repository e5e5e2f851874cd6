// One cluster, one truth (issue 18): three runtime processes on one PostgreSQL. A change made through
// any of them — deploy, deactivate, rollback, settings, the state map — is what the other two serve, without a restart;
// a change whose notification was lost reaches them by the periodic reconcile. Events held on any
// instance while a flow was paused with hold run once each when it is switched back on anywhere.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import { startChildRuntime, type ChildRuntime } from '../support/child.ts';
import { startPostgres, type PostgresInstance } from '../support/postgres.ts';
import { flowsDirWith, tempDir } from '../support/runtime.ts';

const RECONCILE_MS = 400;
const DEADLINE_MS = 15_000; // generous: the machine may be busy; the benchmark measures the real figure

let server: PostgresInstance | undefined;
let databaseUrl = '';
const nodes: ChildRuntime[] = [];
const dirs: string[] = [];

beforeAll(async () => {
  server = await startPostgres();
  const admin = new pg.Client(server.url);
  await admin.connect();
  await admin.query('CREATE DATABASE one_truth');
  await admin.end();
  databaseUrl = server.urlFor('one_truth');
  const flowsDir = flowsDirWith([]); // the state map only: every flow comes through the API
  dirs.push(flowsDir);
  const envFor = (name: string) => {
    const dataDir = tempDir(`flowdesk-${name}-`);
    dirs.push(dataDir);
    return { FLOWDESK_DATA_DIR: dataDir, FLOWDESK_FLOWS_DIR: flowsDir, FLOWDESK_DATABASE_URL: databaseUrl, FLOWDESK_CLUSTER_RECONCILE_MS: String(RECONCILE_MS) };
  };
  nodes.push(...(await Promise.all(['a', 'b', 'c'].map((n) => startChildRuntime(envFor(n))))));
}, 180_000);

afterAll(async () => {
  for (const n of nodes) await n.kill('SIGTERM');
  await server?.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const flowDoc = (greeting: string) => ({
  dsl: 1,
  id: 'greet',
  name: 'Greet',
  trigger: { type: 'webhook', path: 'greet', auth: { type: 'none' }, payloadSchema: { type: 'object' } },
  nodes: [
    { id: 'say', type: 'compute', set: { greeting } },
    { id: 'end', type: 'end' },
  ],
  edges: [
    { from: 'trigger', to: 'say' },
    { from: 'say', to: 'end' },
  ],
});

async function call(node: ChildRuntime, method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(node.url + path, { method, headers: body === undefined ? {} : { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  try {
    return { status: res.status, body: JSON.parse(text) };
  } catch {
    return { status: res.status, body: text };
  }
}

/** Polls `probe` until it returns true; fails naming `what` after the deadline. Resolves with the ms it took. */
async function until(what: string, probe: () => Promise<boolean>, deadlineMs = DEADLINE_MS): Promise<number> {
  const t0 = Date.now();
  for (;;) {
    if (await probe()) return Date.now() - t0;
    if (Date.now() - t0 > deadlineMs) throw new Error(`not within ${deadlineMs} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * Changes a flow's latest version the way an instance does (the row and its change counter, in one
 * transaction), but with no NOTIFY: the notification is lost, only the reconcile can carry the change.
 */
async function changeFlowWithoutNotify(flowId: string, set: string): Promise<void> {
  await changeWithoutNotify('flows', flowId, `UPDATE flows SET ${set} WHERE id = $1 AND version = (SELECT max(version) FROM flows WHERE id = $1)`, [flowId]);
}

/** Runs `statement` and bumps (topic, id)'s change counter in one transaction, with no NOTIFY. */
async function changeWithoutNotify(topic: string, id: string, statement: string, params: unknown[]): Promise<void> {
  const db = new pg.Client(databaseUrl);
  await db.connect();
  try {
    await db.query('BEGIN');
    await db.query(statement, params);
    await db.query("UPDATE cluster_changes SET seq = nextval('cluster_change_seq') WHERE topic = $1 AND id = $2", [topic, id]);
    await db.query('COMMIT');
  } finally {
    await db.end();
  }
}

const hookStatus = async (node: ChildRuntime) => (await call(node, 'POST', '/hooks/greet', { hello: 'world' })).status;
const clusterMetric = async (node: ChildRuntime, via: string) => {
  const text = (await call(node, 'GET', '/metrics')).body as string;
  const m = new RegExp(`^flowdesk_cluster_changes_total\\{topic="flows",via="${via}"\\} (\\d+)`, 'm').exec(text);
  return m ? Number(m[1]) : 0;
};

describe('three runtime processes on one PostgreSQL', () => {
  it('deployed on A is served by B and C; deactivated on B → 404 on A and C; rolled back on C is what A serves', async () => {
    const [a, b, c] = nodes as [ChildRuntime, ChildRuntime, ChildRuntime];
    expect((await call(b, 'GET', '/api/flows/greet')).status).toBe(404);

    expect(await call(a, 'PUT', '/api/flows/greet', flowDoc('hello'))).toMatchObject({ status: 200, body: { id: 'greet', version: 1 } });
    for (const n of [b, c]) {
      await until('B and C list the flow deployed on A', async () => (await call(n, 'GET', '/api/flows/greet')).body?.version === 1);
      await until('B and C accept its webhook', async () => (await hookStatus(n)) === 202);
    }

    expect((await call(b, 'POST', '/api/flows/greet/active', { active: false })).status).toBe(200);
    for (const n of [a, c]) {
      await until('A and C refuse the webhook deactivated on B', async () => (await hookStatus(n)) === 404);
      expect((await call(n, 'GET', '/api/flows/greet')).body.active).toBe(false);
    }

    // version 2 on A, then C rolls back to version 1: A serves version 3, equal to version 1
    expect((await call(a, 'PUT', '/api/flows/greet', flowDoc('bonjour'))).body.version).toBe(2);
    await until('C sees version 2', async () => (await call(c, 'GET', '/api/flows/greet')).body?.version === 2);
    expect(await call(c, 'POST', '/api/flows/greet/rollback', { version: 1 })).toMatchObject({ status: 200, body: { version: 3, rolledBackTo: 1 } });
    await until('A serves the rollback made on C', async () => {
      const f = (await call(a, 'GET', '/api/flows/greet')).body;
      return f?.version === 3 && f.active === true && f.nodes[0].set.greeting === 'hello';
    });
    // and runs on A start on it
    const started = await call(a, 'POST', '/hooks/greet', {});
    expect(started.status).toBe(202);
    await until('the run on A ends', async () => (await call(a, 'GET', `/api/runs/${started.body.runId}`)).body?.status === 'succeeded');
    const run = (await call(a, 'GET', `/api/runs/${started.body.runId}`)).body;
    expect(run.flowVersion).toBe(3);
    expect(run.vars.greeting).toBe('hello');

    // DELETE on B deactivates everywhere
    expect((await call(b, 'DELETE', '/api/flows/greet')).status).toBe(200);
    for (const n of [a, c]) await until('the flow deleted on B is gone from A and C', async () => (await hookStatus(n)) === 404);
  }, 120_000);

  it('the KPI baseline set on A is what B and C answer', async () => {
    const [a, b, c] = nodes as [ChildRuntime, ChildRuntime, ChildRuntime];
    expect((await call(a, 'PUT', '/api/settings/baseline', { weeklyManualHours: 11, collectionDays: 30 })).status).toBe(200);
    for (const n of [b, c]) expect((await call(n, 'GET', '/api/settings/baseline')).body).toEqual({ weeklyManualHours: 11, collectionDays: 30 });
  });

  it('the state map changed on B is what A and C check record moves and flows against; one whose notification was lost heals', async () => {
    const [a, b, c] = nodes as [ChildRuntime, ChildRuntime, ChildRuntime];
    const shipped = (await call(a, 'GET', '/api/state-map')).body;
    const next = structuredClone(shipped);
    next.entities.account.states.paused = { owner: 'founder', next: ['qualified'] };
    next.entities.account.states.qualified.next.push('paused');
    expect((await call(b, 'PUT', '/api/state-map', next)).status).toBe(200);
    for (const n of [a, c]) await until('A and C serve the state map changed on B', async () => (await call(n, 'GET', '/api/state-map')).body.entities.account.states.paused !== undefined);
    expect((await call(a, 'POST', '/api/records/account/globex/state', { state: 'qualified' })).status).toBe(200);
    expect((await call(a, 'POST', '/api/records/account/globex/state', { state: 'paused' })).status).toBe(200);
    const onPaused = { dsl: 1, id: 'on-paused', name: 'On paused', trigger: { type: 'record', entity: 'account', state: 'paused' }, nodes: [{ id: 'end', type: 'end' }], edges: [{ from: 'trigger', to: 'end' }] };
    expect((await call(c, 'PUT', '/api/flows/on-paused', onPaused)).status).toBe(200);
    expect((await call(c, 'DELETE', '/api/flows/on-paused')).status).toBe(200);

    // a change written with its counter but no NOTIFY: only the reconcile carries it
    const described = structuredClone(next);
    described.entities.account.description = 'changed with its notification lost';
    await changeWithoutNotify('docs:settings', 'state-map', "UPDATE docs SET doc = json_build_object('id', 'state-map', 'map', $1::json, 'changedAt', '2026-03-02T09:00:00Z', 'changedBy', 'api') WHERE collection = 'settings' AND id = 'state-map'", [JSON.stringify(described)]);
    for (const n of [a, b, c]) await until('every instance has the change whose notification was lost', async () => (await call(n, 'GET', '/api/state-map')).body.entities.account.description === 'changed with its notification lost');
  }, 60_000);

  it('events held on all three instances run once each when the flow is switched on, even by a change whose notification was lost', async () => {
    const [a, b, c] = nodes as [ChildRuntime, ChildRuntime, ChildRuntime];
    const calls = new Map<string, number>();
    const receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        const n = String((JSON.parse(body) as { n: unknown }).n);
        calls.set(n, (calls.get(n) ?? 0) + 1);
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((ok) => receiver.listen(0, '127.0.0.1', ok));
    try {
      const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/note`;
      const doc = {
        dsl: 1,
        id: 'held-notes',
        name: 'Held notes',
        trigger: { type: 'webhook', path: 'held-notes', auth: { type: 'none' }, payloadSchema: { type: 'object', required: ['n'] } },
        nodes: [
          { id: 'note', type: 'action', action: 'http.request', params: { method: 'POST', url, body: { n: '{{payload.n}}' } } },
          { id: 'end', type: 'end' },
        ],
        edges: [
          { from: 'trigger', to: 'note' },
          { from: 'note', to: 'end' },
        ],
      };
      expect((await call(a, 'PUT', '/api/flows/held-notes', doc)).status).toBe(200);
      expect((await call(a, 'POST', '/api/flows/held-notes/active', { active: false, hold: true })).status).toBe(200);
      for (const n of [b, c]) await until('B and C see the flow paused with hold', async () => (await call(n, 'GET', '/api/flows/held-notes')).body?.hold === true);
      const runIds: string[] = [];
      for (const [name, n] of [['a', a], ['b', b], ['c', c]] as const) {
        for (let i = 0; i < 3; i++) {
          const r = await call(n, 'POST', '/hooks/held-notes', { n: `${name}${i}` });
          expect(r).toMatchObject({ status: 202, body: { held: true } });
          runIds.push(r.body.runId);
        }
      }
      expect(calls.size).toBe(0);
      // switched on, but its notification is lost: no instance's API released anything
      await changeFlowWithoutNotify('held-notes', 'active = true, hold = false');
      for (const id of runIds) await until(`held run ${id} succeeded`, async () => (await call(a, 'GET', `/api/runs/${id}`)).body?.status === 'succeeded');
      expect([...calls.keys()].sort()).toEqual(['a0', 'a1', 'a2', 'b0', 'b1', 'b2', 'c0', 'c1', 'c2']);
      expect([...calls.values()].every((v) => v === 1)).toBe(true);
    } finally {
      await new Promise((ok) => receiver.close(ok));
    }
  }, 60_000);

  it('a change whose notification was lost reaches every instance by the reconcile', async () => {
    const [a, b, c] = nodes as [ChildRuntime, ChildRuntime, ChildRuntime];
    expect((await call(a, 'PUT', '/api/flows/greet', flowDoc('hallo'))).status).toBe(200);
    for (const n of [a, b, c]) await until('the new version is active everywhere', async () => (await hookStatus(n)) === 202);
    const before = await Promise.all(nodes.map((n) => clusterMetric(n, 'reconcile')));
    // switch the flow off, but its notification is lost
    await changeFlowWithoutNotify('greet', 'active = false');
    for (const n of [a, b, c]) await until('every instance refuses the webhook', async () => (await hookStatus(n)) === 404);
    const after = await Promise.all(nodes.map((n) => clusterMetric(n, 'reconcile')));
    after.forEach((v, i) => expect(v).toBeGreaterThan(before[i]!));
  }, 60_000);
});
