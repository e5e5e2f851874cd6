// The poll and e-mail triggers read under the runtime's shared lease service (issue 15 item 3): on
// PostgreSQL another process holding a flow's read lease (`trigger:<flowId>`) keeps this runtime from
// fetching its URL; when that holder is SIGKILLed, its lease runs out (FLOWDESK_LEASE_MS) and this
// runtime's next slot reads — each item once. The runtime is in-process on a ManualClock: slots fire
// when the test moves it; only the lease's expiry is wall-clock time (it lives in the database).
import { afterAll, describe, expect, it } from 'vitest';
import type { ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startPostgres, type PostgresInstance } from '../support/postgres.ts';
import { createDatabase } from '../../apps/runtime/src/store/postgres/harness.ts';
import { startLeaseHolder } from '../support/lease-holders.ts';
import { startTestRuntime, type TestRuntime } from '../support/runtime.ts';
import { readLeaseName } from '../../apps/runtime/src/pollers/pollers.ts';
import { ManualClock } from '../../apps/runtime/src/index.ts';
import { rfc822, startImapServer, type ImapServer } from '../support/imap-server.ts';
import { eventually } from '../inbound/support.ts';

const LEASE_MS = 1_500;

let pgServer: PostgresInstance | undefined;
let feed: Server | undefined;
let rt: TestRuntime | undefined;
let imap: ImapServer | undefined;
const others: TestRuntime[] = [];
const procs: ChildProcess[] = [];
afterAll(async () => {
  for (const r of others) await r.close().catch(() => {});
  await imap?.stop();
  for (const p of procs) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
  await rt?.dispose();
  await new Promise((ok) => (feed ? feed.close(ok) : ok(undefined)));
  await pgServer?.stop();
});

describe('poll trigger on PostgreSQL', () => {
  it("reads nothing while another instance holds the flow's read lease; takes over once that holder is SIGKILLed", { timeout: 120_000 }, async () => {
    let gets = 0;
    feed = createServer((_req, res) => {
      gets++;
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ items: [{ id: 'a' }, { id: 'b' }] }));
    });
    await new Promise<void>((ok) => feed!.listen(0, '127.0.0.1', ok));
    const feedUrl = `http://127.0.0.1:${(feed.address() as AddressInfo).port}/jobs`;

    pgServer = await startPostgres();
    const { url } = await createDatabase(pgServer);
    const holder = await startLeaseHolder(url, readLeaseName('jobs'), LEASE_MS, procs);
    rt = await startTestRuntime({ databaseUrl: url, env: { FLOWDESK_LEASE_MS: String(LEASE_MS) } });
    const flow = { dsl: 1, id: 'jobs', name: 'jobs', trigger: { type: 'poll', url: feedUrl, interval: '1m', backfill: true }, nodes: [{ id: 'done', type: 'end' }], edges: [{ from: 'trigger', to: 'done' }] };
    expect((await rt.put('/api/flows/jobs', flow)).status).toBe(200);
    await rt.settle(); // the first slot: the lease is held elsewhere
    await rt.advance(60_000); // and the next
    expect(gets).toBe(0);
    expect((await rt.get('/api/runs?flowId=jobs')).body).toEqual([]);
    expect((await rt.store.getTimer('poll:jobs'))?.dueAt).toBe(new Date(rt.clock.now() + 60_000).toISOString()); // still polling

    await new Promise<void>((ok) => {
      holder.once('exit', () => ok());
      holder.kill('SIGKILL');
    });
    const killedAt = Date.now();
    // each slot tries the lease; it is free once the dead holder's last renewal has run out
    while (gets === 0 && Date.now() - killedAt < LEASE_MS * 10) {
      await rt.advance(60_000);
      if (gets === 0) await new Promise((r) => setTimeout(r, 100));
    }
    const takeoverMs = Date.now() - killedAt;
    console.log(`poll trigger read lease taken over ${takeoverMs} ms after SIGKILL (lease ${LEASE_MS} ms)`);
    expect(gets).toBe(1);
    expect(takeoverMs).toBeLessThan(LEASE_MS * 10);
    const keys = ((await rt.get('/api/runs?flowId=jobs')).body as { idempotencyKey: string }[]).map((r) => r.idempotencyKey).sort();
    expect(keys).toHaveLength(2);
    // given back after the read: the next slot reads again (nothing new, nothing repeated)
    await rt.advance(60_000);
    expect(gets).toBe(2);
    expect((await rt.get('/api/runs?flowId=jobs')).body).toHaveLength(2);
  });

  it("an e-mail flow deployed through one instance gets one IDLE session in the cluster; when its holder stops, another instance's session rings", { timeout: 120_000 }, async () => {
    const PASS = 'cluster-pass-2Wv';
    imap = await startImapServer({ nia: PASS });
    pgServer ??= await startPostgres();
    const { url } = await createDatabase(pgServer);
    const T0 = Math.floor(Date.now() / 1000) * 1000;
    const env = { FLOWDESK_LEASE_MS: String(LEASE_MS), FLOWDESK_CLUSTER_RECONCILE_MS: '200', FLOWDESK_SECRET_IMAP_PASS: PASS };
    const a = await startTestRuntime({ databaseUrl: url, env, clock: new ManualClock(T0) });
    const b = await startTestRuntime({ databaseUrl: url, env, clock: new ManualClock(T0) });
    others.push(a, b);
    const flow = { dsl: 1, id: 'inbox', name: 'inbox', trigger: { type: 'email', host: '127.0.0.1', port: imap.port, tls: 'none', user: 'nia', password: 'IMAP_PASS', interval: '1d' }, nodes: [{ id: 'done', type: 'end' }], edges: [{ from: 'trigger', to: 'done' }] };
    expect((await a.put('/api/flows/inbox', flow)).status).toBe(200);
    await a.settle(); // the first read
    // B learns of the flow through the cluster feed and wants the session too; one of them holds it
    await eventually(async () => (b.ctx.flows.get('inbox') ? true : undefined), 10_000);
    await eventually(async () => ([a, b].some((r) => r.ctx.pollers.idleStatus('inbox') === 'idle') ? true : undefined), 15_000);
    const holder = a.ctx.pollers.idleStatus('inbox') === 'idle' ? a : b;
    const other = holder === a ? b : a;
    expect(other.ctx.pollers.idleStatus('inbox')).toBeUndefined();

    await holder.close();
    await eventually(async () => (other.ctx.pollers.idleStatus('inbox') === 'idle' ? true : undefined), LEASE_MS * 10);
    const c = await imap.client('nia', PASS);
    await c.append('INBOX', rfc822({ from: 'lead@example.com', to: 'nia@example.com', subject: 'hi', text: 'hi', messageId: '<n1@example.com>' }), [], new Date(T0 + 1000));
    await c.logout();
    await eventually(async () => (((await other.get('/api/runs?flowId=inbox')).body as unknown[]).length === 1 ? true : undefined), 15_000);
    expect(other.clock.now()).toBe(T0); // rung by IDLE, not by a poll slot
  });
});
