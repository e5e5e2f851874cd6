// Leases on a real PostgreSQL, between store instances as separate processes would hold them (each its own
// pools). Lease lengths are short here (the setting is FLOWDESK_LEASE_MS); lease timing is wall-clock by
// nature — it is about liveness — so the assertions are orderings and tokens, with generous deadlines.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { startPostgres, type PostgresInstance } from '../../../../../test/support/postgres.ts';
import { startTcpProxy, type TcpProxy } from '../../../../../test/support/tcp-proxy.ts';
import type { Lease } from '../../cluster/leases.ts';
import { createSchema } from './harness.ts';
import { createPostgresStore, type PostgresStore } from './index.ts';
import { waitFor } from '../../../../../test/support/wait.ts';

let server: PostgresInstance;
beforeAll(async () => {
  server = await startPostgres();
});
afterAll(async () => {
  await server?.stop();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
describe('postgres leases', () => {
  const stores: PostgresStore[] = [];
  const proxies: TcpProxy[] = [];
  let drop: (() => Promise<void>) | undefined;
  let url = '';
  afterEach(async () => {
    for (const s of stores.splice(0)) await s.close().catch(() => {});
    for (const p of proxies.splice(0)) await p.close();
    await drop?.();
  });
  const open = async (leaseMs: number, viaUrl?: string) => {
    if (!url) {
      const schema = await createSchema(server);
      url = schema.url;
      drop = async () => {
        await schema.drop();
        url = '';
      };
    }
    const s = createPostgresStore({ url: viaUrl ?? url, leaseMs, reconcileMs: 60_000, connectTimeoutMs: 2_000 });
    await s.open();
    stores.push(s);
    return s;
  };

  it('one holder at a time; a release hands the lease over at once with the next token', async () => {
    const a = await open(10_000);
    const b = await open(10_000);
    const la = await a.leases.acquire('mailbox:ops');
    expect(la?.token).toBe(1);
    expect(await b.leases.acquire('mailbox:ops')).toBeUndefined();
    // the holder asking again gets the lease it holds
    expect(await a.leases.acquire('mailbox:ops')).toBe(la);
    // other names are independent
    expect((await b.leases.acquire('poll:rss'))?.token).toBe(1);
    const lostReasons: string[] = [];
    la!.onLost((r) => lostReasons.push(r));
    await la!.release();
    expect(la!.lost).toBe(true);
    expect(lostReasons).toEqual(['released']);
    const lb = await b.leases.acquire('mailbox:ops');
    expect(lb?.token).toBe(2);
    expect(await a.leases.acquire('mailbox:ops')).toBeUndefined();
  });

  it('a holder that stops renewing loses the lease to another after the lease length, not before', async () => {
    const leaseMs = 900;
    const a = await open(leaseMs);
    const b = await open(leaseMs);
    const la = (await a.leases.acquire('poll:feed'))!;
    // renewals keep it: well past one lease length, b still cannot take it
    await sleep(leaseMs * 2);
    expect(la.lost).toBe(false);
    expect(await b.leases.acquire('poll:feed')).toBeUndefined();
    // a holder that died without a word leaves its row to expire (the SIGKILL test does it with processes)
    const db = new pg.Client(url);
    await db.connect();
    let diedAt: number;
    try {
      await db.query(
        "INSERT INTO leases (name, holder, token, acquired_at, expires_at) VALUES ('poll:gone', 'dead-process', 7, clock_timestamp(), clock_timestamp() + make_interval(secs => $1::double precision / 1000))",
        [leaseMs],
      );
      diedAt = Date.now();
    } finally {
      await db.end();
    }
    const lb = await waitFor('b takes the expired lease', () => b.leases.acquire('poll:gone'));
    const tookMs = Date.now() - diedAt;
    expect(lb.token).toBe(8);
    expect(tookMs).toBeGreaterThanOrEqual(leaseMs - 100);
    expect(tookMs).toBeLessThan(leaseMs * 5);
  });

  it('a holder whose lease was taken over hears it at its next renewal and stops', async () => {
    const a = await open(600);
    const la = (await a.leases.acquire('imap:inbox'))!;
    const lost = new Promise<string>((ok) => la.onLost(ok));
    const db = new pg.Client(url);
    await db.connect();
    try {
      // another holder took it (as after a long pause of this process: its lease had expired)
      await db.query("UPDATE leases SET holder = 'someone-else', token = token + 1 WHERE name = 'imap:inbox'");
    } finally {
      await db.end();
    }
    expect(await lost).toBe('taken over by another instance');
    expect(la.lost).toBe(true);
  });

  it('cut off from the database, a holder gives the lease up before another instance can take it', async () => {
    const leaseMs = 1_500;
    const proxy = await startTcpProxy(server.port);
    proxies.push(proxy);
    const b = await open(leaseMs);
    const a = await open(leaseMs, url.replace(`:${server.port}/`, `:${proxy.port}/`));
    const la = (await a.leases.acquire('poll:orders'))!;
    let lostAt = 0;
    la.onLost(() => (lostAt = Date.now()));
    proxy.cut(); // a can no longer renew; b still reaches the database
    const lb = await waitFor('b takes the lease a could not renew', () => b.leases.acquire('poll:orders'));
    const takenAt = Date.now();
    expect(lb.token).toBe(la.token + 1);
    // a stopped its work first: never two holders at once
    expect(lostAt).toBeGreaterThan(0);
    expect(lostAt).toBeLessThanOrEqual(takenAt);
    proxy.mend();
  });

  it('own(): the work runs on exactly one instance and moves when its owner stops', async () => {
    const a = await open(600);
    const b = await open(600);
    const running = new Map<string, number>(); // holder → token while its work runs
    const events: string[] = [];
    const work = (who: string) => (lease: Lease) => {
      running.set(who, lease.token);
      events.push(`${who} start ${lease.token}`);
      return () => {
        running.delete(who);
        events.push(`${who} stop ${lease.token}`);
      };
    };
    const oa = a.leases.own('poll:crm', work('a'));
    await waitFor('a runs the work', () => running.has('a') || undefined);
    const ob = b.leases.own('poll:crm', work('b'));
    await sleep(1_000);
    expect([...running.keys()]).toEqual(['a']);
    await oa.stop(); // hands over at once
    await waitFor('b runs the work', () => running.has('b') || undefined);
    expect(events).toEqual(['a start 1', 'a stop 1', 'b start 2']);
    await ob.stop();
    expect(running.size).toBe(0);
  });
});
