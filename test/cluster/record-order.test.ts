// Runs of one record key, across instances (issue 18): two runtime processes on one PostgreSQL receive
// interleaved events for the same account. Its runs never overlap and start in arrival order — seen by the
// dependency they call (never two calls at once, calls in event order) and in the runs' recorded steps.
import { afterAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { rmSync } from 'node:fs';
import pg from 'pg';
import { startChildRuntime, type ChildRuntime } from '../support/child.ts';
import { startPostgres, type PostgresInstance } from '../support/postgres.ts';
import { flowsDirWithDocs, tempDir } from '../support/runtime.ts';

const EVENTS = 10;
const HOLD_MS = 120; // the dependency takes this long per call: without the lanes, runs would overlap

let server: PostgresInstance | undefined;
let receiver: Server | undefined;
const nodes: ChildRuntime[] = [];
const dirs: string[] = [];
afterAll(async () => {
  for (const n of nodes) await n.kill('SIGTERM');
  await new Promise<void>((ok) => (receiver ? receiver.close(() => ok()) : ok()));
  await server?.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

interface StepDoc {
  nodeId: string;
  startedAt: string;
  endedAt?: string;
}

describe('one record key across instances', () => {
  it('interleaved events for one account on two instances: its runs never overlap and start in arrival order', async () => {
    server = await startPostgres();
    const admin = new pg.Client(server.url);
    await admin.connect();
    await admin.query('CREATE DATABASE record_order');
    await admin.end();
    const databaseUrl = server.urlFor('record_order');

    // the CRM the flow calls: in flight at once per account, and the order calls arrive in
    let inFlight = 0;
    let maxInFlight = 0;
    const order: number[] = [];
    receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        const { seq } = JSON.parse(body) as { seq: number };
        order.push(seq);
        maxInFlight = Math.max(maxInFlight, ++inFlight);
        setTimeout(() => {
          inFlight--;
          res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
        }, HOLD_MS);
      });
    });
    await new Promise<void>((ok) => receiver!.listen(0, '127.0.0.1', ok));
    const crm = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;

    const flowsDir = flowsDirWithDocs([
      {
        dsl: 1,
        id: 'touch-account',
        name: 'Touch account',
        record: { entity: 'account', key: { var: 'payload.email' } },
        trigger: { type: 'webhook', path: 'touch', auth: { type: 'none' }, payloadSchema: { type: 'object', required: ['email', 'seq'] } },
        nodes: [
          { id: 'note', type: 'compute', set: { seq: { var: 'payload.seq' } } },
          { id: 'crm', type: 'action', action: 'http.request', params: { method: 'POST', url: `${crm}/notes`, body: { seq: '{{payload.seq}}' } } },
          { id: 'end', type: 'end' },
        ],
        edges: [
          { from: 'trigger', to: 'note' },
          { from: 'note', to: 'crm' },
          { from: 'crm', to: 'end' },
        ],
      },
    ]);
    dirs.push(flowsDir);
    const envFor = (name: string) => {
      const dataDir = tempDir(`flowdesk-${name}-`);
      dirs.push(dataDir);
      return { FLOWDESK_DATA_DIR: dataDir, FLOWDESK_FLOWS_DIR: flowsDir, FLOWDESK_DATABASE_URL: databaseUrl };
    };
    nodes.push(await startChildRuntime(envFor('a'))); // deploys the flow
    nodes.push(await startChildRuntime(envFor('b')));

    // events arrive one after another (each acknowledged before the next is sent), alternating instances
    const runIds: string[] = [];
    for (let seq = 0; seq < EVENTS; seq++) {
      const res = await fetch(`${nodes[seq % 2]!.url}/hooks/touch`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'ada@example.com', seq }) });
      expect(res.status).toBe(202);
      runIds.push(((await res.json()) as { runId: string }).runId);
    }

    const db = new pg.Client(databaseUrl);
    await db.connect();
    try {
      const until = Date.now() + 120_000;
      for (;;) {
        const { rows } = await db.query<{ n: number }>("SELECT count(*)::int AS n FROM runs WHERE flow_id = 'touch-account' AND status = 'succeeded'");
        if (rows[0]!.n === EVENTS) break;
        if (Date.now() > until) throw new Error(`only ${rows[0]!.n} of ${EVENTS} runs succeeded`);
        await new Promise((r) => setTimeout(r, 100));
      }
      const byId = new Map(
        (await db.query<{ id: string; doc: { steps: StepDoc[] } }>("SELECT id, doc FROM runs WHERE flow_id = 'touch-account'")).rows.map((r) => [r.id, r.doc]),
      );
      const runs = runIds.map((id) => byId.get(id)!); // in arrival order
      const spans = runs.map((r) => ({ start: Date.parse(r.steps[0]!.startedAt), end: Date.parse(r.steps[r.steps.length - 1]!.endedAt ?? r.steps[r.steps.length - 1]!.startedAt) }));
      // never two at once, at the dependency and in the steps; each starts after the one before it ended
      expect(maxInFlight).toBe(1);
      expect(order).toEqual(Array.from({ length: EVENTS }, (_, i) => i));
      for (let i = 1; i < EVENTS; i++) expect(spans[i]!.start, `run ${i} started before run ${i - 1} ended`).toBeGreaterThanOrEqual(spans[i - 1]!.end);
    } finally {
      await db.end();
    }
  }, 240_000);
});
