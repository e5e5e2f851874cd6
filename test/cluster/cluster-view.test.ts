// GET /api/cluster (issue 18, what each instance owns): the instances sharing one database as every
// instance sees them — alive or not, the runs each has open — and who holds each lease. A second
// instance (a lease holder in a process of its own) is listed alive with the lease it holds; SIGKILLed,
// it is listed not alive once its heartbeat is older than the lease, and its lease as run out. On the
// embedded store: one process, no instance list.
import { afterAll, describe, expect, it } from 'vitest';
import type { ChildProcess } from 'node:child_process';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ClusterView } from '@flowdesk/schema';
import { createDatabase } from '../../apps/runtime/src/store/postgres/harness.ts';
import { startPostgres, type PostgresInstance } from '../support/postgres.ts';
import { startLeaseHolder } from '../support/lease-holders.ts';
import { startTestRuntime, type TestRuntime } from '../support/runtime.ts';
import { waitFor } from '../support/wait.ts';

const LEASE_MS = 1_500;

let pgServer: PostgresInstance | undefined;
let receiver: Server | undefined;
const runtimes: TestRuntime[] = [];
const procs: ChildProcess[] = [];
afterAll(async () => {
  for (const p of procs) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
  for (const r of runtimes) await r.dispose();
  await new Promise((ok) => (receiver ? receiver.close(ok) : ok(undefined)));
  await pgServer?.stop();
});

describe('GET /api/cluster', () => {
  it('on PostgreSQL: every instance with its open runs, the lease holders; a SIGKILLed one shown not alive and its lease run out', { timeout: 120_000 }, async () => {
    // the flow's call hangs until the test lets it go: its run stays "running" on this instance meanwhile
    const hanging: ServerResponse[] = [];
    receiver = createServer((_req, res) => void hanging.push(res));
    await new Promise<void>((ok) => receiver!.listen(0, '127.0.0.1', ok));
    const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/slow`;

    pgServer = await startPostgres();
    const db = await createDatabase(pgServer);
    const holder = await startLeaseHolder(db.url, 'trigger:jobs', LEASE_MS, procs);
    const rt = await startTestRuntime({ databaseUrl: db.url, env: { FLOWDESK_LEASE_MS: String(LEASE_MS) } });
    runtimes.push(rt);
    const flow = { dsl: 1, id: 'slow', name: 'slow', trigger: { type: 'webhook', path: 'slow', auth: { type: 'none' } }, nodes: [{ id: 'call', type: 'action', action: 'http.request', params: { method: 'POST', url, body: {} } }, { id: 'done', type: 'end' }], edges: [{ from: 'trigger', to: 'call' }, { from: 'call', to: 'done' }] };
    expect((await rt.put('/api/flows/slow', flow)).status).toBe(200);
    expect((await rt.post('/hooks/slow', { n: 1 })).status).toBe(202);
    await waitFor('the call reaches the receiver', () => hanging.length === 1 || undefined);

    const view = (await rt.get('/api/cluster')).body as ClusterView;
    expect(view).toMatchObject({ store: 'postgres', leaseMs: LEASE_MS });
    const self = view.instances.filter((i) => i.self);
    expect(self).toHaveLength(1);
    expect(self[0]).toMatchObject({ id: view.self, alive: true, openRuns: 1 });
    const other = view.instances.find((i) => i.id.startsWith(`pid${holder.pid}-`));
    expect(other).toMatchObject({ self: false, alive: true, openRuns: 0 });
    expect(view.instances).toHaveLength(2);
    expect(view.leases).toEqual([expect.objectContaining({ name: 'trigger:jobs', instance: other!.id, token: 1, held: true })]);
    expect(Date.parse(view.leases[0]!.expiresAt!)).toBeGreaterThan(Date.parse(view.leases[0]!.acquiredAt));

    await new Promise<void>((ok) => {
      holder.once('exit', () => ok());
      holder.kill('SIGKILL');
    });
    // its heartbeat ages past the lease: listed, not alive; its lease runs out (the next to ask takes it)
    const after = await waitFor('the killed instance is shown not alive', async () => {
      const v = (await rt.get('/api/cluster')).body as ClusterView;
      return v.instances.find((i) => i.id === other!.id)?.alive === false && !v.leases[0]?.held ? v : undefined;
    });
    expect(after.leases).toEqual([expect.objectContaining({ name: 'trigger:jobs', instance: other!.id, held: false })]);
    expect(after.instances.find((i) => i.self)?.alive).toBe(true);
    const metrics = await (await fetch(`${rt.url}/metrics`)).text();
    expect(metrics).toMatch(/^flowdesk_cluster_instances\{alive="true"\} 1$/m);
    expect(metrics).toMatch(/^flowdesk_cluster_instances\{alive="false"\} 1$/m);
    expect(metrics).toMatch(/^flowdesk_cluster_orphaned_runs 0$/m); // the lease holder drove no runs

    // the call answers: the run ends, nothing is open any more
    hanging.shift()!.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    await waitFor('the run ends', async () => (((await rt.get('/api/cluster')).body as ClusterView).instances.find((i) => i.self)?.openRuns === 0 ? true : undefined));
  });

  it('on the embedded store: one process, no instance list', async () => {
    const rt = await startTestRuntime();
    runtimes.push(rt);
    const res = await rt.get('/api/cluster');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ store: 'embedded', leaseMs: 15_000, instances: [], leases: [], hookRate: { perSecond: 10_000, burst: 20_000, paths: {} } });
  });
});
