// Postgres-specific behaviour: several store instances (each its own pool, as separate runtime
// processes would have) on ONE database, migrations racing at start, and exact document round-trips.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { startPostgres, type PostgresInstance } from '../../../../../test/support/postgres.ts';
import { at, holdExclusive, makeRun } from '../store.contract.ts';
import { StoreBusyError, StoreConflictError, type Timer } from '../types.ts';
import { createDatabase, pgHarness, type PgHarness } from './harness.ts';
import { createPostgresStore, loadMigrations, migrate } from './index.ts';
import { demandShares } from '../../cluster/rate-shares.ts';

let server: PostgresInstance;
beforeAll(async () => {
  server = await startPostgres();
});
afterAll(async () => {
  await server?.stop();
});

describe('postgres store: several instances on one database', () => {
  let h: PgHarness;
  afterEach(async () => {
    await h?.cleanup();
  });

  it('two stores claiming timers concurrently get every due timer exactly once', async () => {
    h = await pgHarness(server);
    const a = h.store;
    const b = await h.another();
    const n = 400;
    const timers: Timer[] = Array.from({ length: n }, (_, i) => ({ id: `t${i}`, kind: 'run', dueAt: at(i % 50), runId: `r${i}` }));
    await Promise.all(timers.map((t, i) => (i % 2 ? a : b).putTimer(t)));
    await a.putTimer({ id: 'future', kind: 'sla', dueAt: at(10_000) });
    const got: string[] = [];
    // both instances keep claiming in parallel, several claims in flight each, until nothing is due
    const worker = async (s: typeof a) => {
      for (;;) {
        const batch = await s.claimDueTimers(at(100), 9);
        if (!batch.length) return;
        for (const t of batch) got.push(t.id);
      }
    };
    await Promise.all([worker(a), worker(a), worker(a), worker(b), worker(b), worker(b)]);
    expect(got).toHaveLength(n);
    expect(new Set(got).size).toBe(n);
    expect((await b.listTimers()).map((t) => t.id)).toEqual(['future']);
  });

  it('two stores releasing the same held runs concurrently: each run is released by exactly one', async () => {
    h = await pgHarness(server);
    const a = h.store;
    const b = await h.another();
    const held = Array.from({ length: 20 }, (_, i) => makeRun(i + 1, { status: 'held' }));
    for (const r of held) await a.createRun(r);
    const release = (s: typeof a, by: string) => Promise.all(held.map((r) => s.saveRunFrom({ ...r, status: 'queued', vars: { by } }, 'held')));
    const [byA, byB] = await Promise.all([release(a, 'a'), release(b, 'b')]);
    for (const [i, r] of held.entries()) {
      expect(byA[i] !== byB[i]).toBe(true);
      expect(await a.getRun(r.id)).toMatchObject({ status: 'queued', vars: { by: byA[i] ? 'a' : 'b' } });
    }
  });

  it('two stores creating runs with the same key concurrently make exactly one run', async () => {
    h = await pgHarness(server);
    const a = h.store;
    const b = await h.another();
    for (let k = 0; k < 20; k++) {
      const claim = { flowId: 'f1', key: `k${k}`, now: at(10), expiresAt: at(10 + 3600) };
      const res = await Promise.all(
        Array.from({ length: 10 }, (_, i) => (i % 2 ? a : b).createRun(makeRun(10, { idempotencyKey: `k${k}` }), claim)),
      );
      const winners = res.filter((r) => !r.duplicate);
      expect(winners).toHaveLength(1);
      for (const r of res) expect(r.run.id).toBe(winners[0].run.id);
    }
    expect(await a.countRuns()).toBe(20);
    expect(await b.countRuns()).toBe(20);
  });

  it('dedupeWindow: a live claim seen from another instance is a duplicate; once expired the key starts a new run', async () => {
    h = await pgHarness(server);
    const a = h.store;
    const b = await h.another();
    const first = makeRun(1, { idempotencyKey: 'k' });
    expect((await a.createRun(first, { flowId: 'f1', key: 'k', now: at(1), expiresAt: at(61) })).duplicate).toBe(false);
    // 1 ms before expiry: still a duplicate
    const early = await b.createRun(makeRun(2, { idempotencyKey: 'k' }), { flowId: 'f1', key: 'k', now: new Date(Date.parse(at(61)) - 1).toISOString(), expiresAt: at(120) });
    expect(early).toEqual({ run: first, duplicate: true });
    // at expiry exactly: a new run, which now holds the key
    const second = makeRun(61, { idempotencyKey: 'k' });
    expect((await b.createRun(second, { flowId: 'f1', key: 'k', now: at(61), expiresAt: at(121) })).duplicate).toBe(false);
    const third = await a.createRun(makeRun(62, { idempotencyKey: 'k' }), { flowId: 'f1', key: 'k', now: at(62), expiresAt: at(122) });
    expect(third.duplicate).toBe(true);
    expect(third.run.id).toBe(second.id);
    // an expired claim taken by several instances at once: one winner
    const res = await Promise.all(
      Array.from({ length: 8 }, (_, i) => (i % 2 ? a : b).createRun(makeRun(200, { idempotencyKey: 'k' }), { flowId: 'f1', key: 'k', now: at(200), expiresAt: at(260) })),
    );
    expect(res.filter((r) => !r.duplicate)).toHaveLength(1);
    expect(await a.countRuns()).toBe(3);
    // a claim whose run was pruned does not block the key
    await a.saveRun({ ...second, status: 'succeeded', cursor: null, endedAt: at(70), updatedAt: at(70) });
    await a.saveRun({ ...first, status: 'succeeded', cursor: null, endedAt: at(5), updatedAt: at(5) });
    const winner = res.find((r) => !r.duplicate)!.run;
    await a.saveRun({ ...winner, status: 'succeeded', cursor: null, endedAt: at(201), updatedAt: at(201) });
    // cutoff before the live claim (expires at 260) expires: the claim stays, its run goes
    expect(await a.pruneRuns(at(250))).toBe(3);
    const after = await b.createRun(makeRun(210, { idempotencyKey: 'k' }), { flowId: 'f1', key: 'k', now: at(210), expiresAt: at(270) });
    expect(after.duplicate).toBe(false);
  });

  it('record transitions with the same expectFrom from two stores: exactly one wins', async () => {
    h = await pgHarness(server);
    const a = h.store;
    const b = await h.another();
    await a.transitionRecord({ entity: 'account', key: 'x', to: 'captured', at: at(1), cause: {} });
    const res = await Promise.allSettled(
      Array.from({ length: 10 }, (_, i) => (i % 2 ? a : b).transitionRecord({ entity: 'account', key: 'x', to: `s${i}`, at: at(2), cause: {}, expectFrom: 'captured' })),
    );
    expect(res.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of res) if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(StoreConflictError);
    // creating a record from two stores at once with expectFrom null: one creates it
    const created = await Promise.allSettled(
      Array.from({ length: 6 }, (_, i) => (i % 2 ? a : b).transitionRecord({ entity: 'invoice', key: 'i1', to: 'issued', at: at(3), cause: {}, expectFrom: null })),
    );
    expect(created.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect((await b.getRecord('invoice', 'i1'))?.history).toHaveLength(1);
  });

  it('updateDoc compare-and-set holds across instances', async () => {
    h = await pgHarness(server);
    const a = h.store;
    const b = await h.another();
    await Promise.all(
      Array.from({ length: 60 }, (_, i) => (i % 2 ? a : b).updateDoc('settings', 'n', (cur) => ({ id: 'n', n: ((cur?.n as number | undefined) ?? 0) + 1 }))),
    );
    expect(await a.getDoc('settings', 'n')).toEqual({ id: 'n', n: 60 });
  });

  it('exclusive: tasks under one name never overlap across instances; other names run beside them', async () => {
    h = await pgHarness(server);
    const a = h.store;
    const b = await h.another();
    let inside = 0;
    let most = 0;
    const task = async () => {
      inside++;
      most = Math.max(most, inside);
      await a.getDoc('settings', 'x'); // a round trip while holding it: the other instance must wait
      await new Promise((r) => setTimeout(r, 5));
      inside--;
    };
    await Promise.all(Array.from({ length: 12 }, (_, i) => (i % 2 ? a : b).exclusive('config', task)));
    expect(most).toBe(1);
    // a different name is not held up by a held one
    const held = await holdExclusive(a, 'config');
    await expect(b.exclusive('other', async () => 'ran')).resolves.toBe('ran');
    await held.release();
    // a task that throws gives the lock back
    await expect(a.exclusive('config', async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(b.exclusive('config', async () => 'after')).resolves.toBe('after');
  });

  it('exclusive: waiting past its limit for a task held elsewhere rejects with StoreBusyError, the task not run', async () => {
    h = await pgHarness(server);
    const a = h.store;
    const b = await h.another({ exclusiveWaitMs: 200 });
    const held = await holdExclusive(a, 'config');
    let ran = false;
    const refused = await b
      .exclusive('config', async () => {
        ran = true;
      })
      .catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(StoreBusyError);
    expect((refused as StoreBusyError).message).toBe('another instance has been making a change under "config" for 200 ms; nothing was changed, try again');
    expect(ran).toBe(false);
    expect(b.health()).toEqual({ ok: true }); // a busy lock is not a failing database
    await held.release();
    await expect(b.exclusive('config', async () => 'then')).resolves.toBe('then');
  });

  it('documents round-trip exactly, including NUL characters and deep unicode', async () => {
    h = await pgHarness(server);
    const run = makeRun(1, { payload: { nul: 'a\u0000b', emoji: '🚀', big: 2 ** 53 - 1, neg: -0.5, nested: [{ x: null }, [], {}] } });
    await h.store.createRun(run);
    expect(await h.store.getRun(run.id)).toEqual(run);
    await h.store.putDoc('outbox', { id: 'o', body: 'x\u0000y' });
    expect(await h.store.getDoc('outbox', 'o')).toEqual({ id: 'o', body: 'x\u0000y' });
  });

  it('close() ends the pool: later calls fail clearly, and a store can be opened again', async () => {
    h = await pgHarness(server);
    const s = await h.another();
    await s.close();
    await expect(s.countRuns()).rejects.toThrow(/not open/);
    await s.open();
    expect(await s.countRuns()).toBe(0);
  });
});

describe('postgres store: run ownership across processes', () => {
  let h: PgHarness;
  afterEach(async () => {
    await h?.cleanup();
  });

  /** A store whose heartbeat is rare (hourly), so a test can age it by SQL without the next beat undoing it. */
  const quietStore = async () => {
    const s = createPostgresStore({ url: h.url, leaseMs: 3 * 3_600_000 });
    await s.open();
    opened.push(s);
    return s;
  };
  const opened: { close(): Promise<void> }[] = [];
  afterEach(async () => {
    for (const s of opened.splice(0)) await s.close();
  });

  it("claimResumableRuns never returns a live instance's runs; a dead one's are split between claimers, each once", async () => {
    h = await pgHarness(server);
    const a = await quietStore();
    const b = await h.another();
    const c = await h.another();
    const running = Array.from({ length: 40 }, (_, i) => makeRun(i + 1));
    await Promise.all(running.map((r) => a.createRun(r)));
    const waiting = makeRun(100);
    await a.createRun(waiting);
    await a.saveRun({ ...waiting, status: 'waiting', wakeAt: at(500) });
    const done = makeRun(101);
    await a.createRun(done);
    await a.saveRun({ ...done, status: 'succeeded', cursor: null, endedAt: at(102) });
    // a is alive: nobody else may take its runs
    expect(await b.claimResumableRuns()).toEqual([]);
    expect(await c.claimResumableRuns()).toEqual([]);
    // a stops heartbeating (as after SIGKILL, once its lease has run out)
    const admin = new pg.Client(h.url);
    await admin.connect();
    await admin.query("UPDATE instances SET heartbeat_at = now() - interval '1 hour' WHERE id = $1", [a.instanceId]);
    await admin.end();
    const [fromB, fromC] = await Promise.all([b.claimResumableRuns(), c.claimResumableRuns()]);
    const got = [...fromB, ...fromC].map((r) => r.id);
    expect(new Set(got).size).toBe(got.length);
    expect(got.sort()).toEqual([...running, waiting].map((r) => r.id).sort());
    // oldest first within one claim
    for (const list of [fromB, fromC]) expect(list.map((r) => r.createdAt)).toEqual([...list.map((r) => r.createdAt)].sort());
    // now b and c own them: a (even alive again) gets none
    expect(await a.claimResumableRuns()).toEqual([]);
    expect(await b.claimResumableRuns()).toHaveLength(fromB.length); // its own, again (a restart of b would resume them)
    expect(await b.claimResumableRuns({ includeOwn: false })).toEqual([]); // a periodic sweep skips its own
    expect(await b.claimResumableRuns({ limit: 3 })).toHaveLength(Math.min(3, fromB.length)); // the split between b and c is up to the race
  });

  it('runDrivenElsewhere: true only from another instance, while the owner is alive and the run open', async () => {
    h = await pgHarness(server);
    const a = await quietStore();
    const b = await h.another();
    const open = makeRun(1);
    const ended = makeRun(2);
    await a.createRun(open);
    await a.createRun(ended);
    await a.saveRun({ ...ended, status: 'succeeded', cursor: null, endedAt: at(3) });
    expect(await b.runDrivenElsewhere!(open.id)).toBe(true);
    expect(await a.runDrivenElsewhere!(open.id)).toBe(false); // its own
    expect(await b.runDrivenElsewhere!(ended.id)).toBe(false); // ended: nobody drives it
    expect(await b.runDrivenElsewhere!('no-such-run')).toBe(false);
    // a stops heartbeating (as after SIGKILL, once its lease has run out): nobody drives its runs now
    const admin = new pg.Client(h.url);
    await admin.connect();
    await admin.query("UPDATE instances SET heartbeat_at = now() - interval '1 hour' WHERE id = $1", [a.instanceId]);
    await admin.end();
    expect(await b.runDrivenElsewhere!(open.id)).toBe(false);
  });

  it('a restart with the same instanceId takes back its own runs at once; a clean close hands them over', async () => {
    h = await pgHarness(server);
    const first = createPostgresStore({ url: h.url, instanceId: 'proc-a' });
    await first.open();
    const other = await h.another();
    const runs = Array.from({ length: 5 }, (_, i) => makeRun(i + 1));
    for (const r of runs) await first.createRun(r);
    // "crash": the first life never closes cleanly; the next life has the same id
    const second = createPostgresStore({ url: h.url, instanceId: 'proc-a' });
    await second.open();
    expect(await other.claimResumableRuns()).toEqual([]);
    expect((await second.claimResumableRuns()).map((r) => r.id)).toEqual(runs.map((r) => r.id));
    await first.close(); // also removes proc-a's heartbeat row: a clean stop
    await second.close();
    expect((await other.claimResumableRuns()).map((r) => r.id)).toEqual(runs.map((r) => r.id));
  });

  it("claiming a run's timer makes the claimer its owner: a process starting meanwhile leaves that run alone", async () => {
    h = await pgHarness(server);
    const a = await quietStore();
    const b = await h.another();
    const run = makeRun(1);
    await a.createRun(run);
    await a.saveRun({ ...run, status: 'waiting', wakeAt: at(10) });
    await a.putTimer({ id: `run:${run.id}`, kind: 'run', dueAt: at(10), runId: run.id, flowId: run.flowId });
    const other = makeRun(2);
    await a.createRun(other);
    await a.saveRun({ ...other, status: 'waiting', wakeAt: at(500) });
    await a.putTimer({ id: `run:${other.id}`, kind: 'run', dueAt: at(500), runId: other.id, flowId: other.flowId });
    await a.putTimer({ id: 'schedule:f1', kind: 'schedule', dueAt: at(5), flowId: 'f1' });
    // a dies; b claims the due timers (and so the woken run) before a's next life starts
    const admin = new pg.Client(h.url);
    await admin.connect();
    await admin.query("UPDATE instances SET heartbeat_at = now() - interval '1 hour' WHERE id = $1", [a.instanceId]);
    await admin.end();
    expect((await b.claimDueTimers(at(20), 10)).map((t) => t.id)).toEqual(['schedule:f1', `run:${run.id}`]);
    const next = createPostgresStore({ url: h.url });
    await next.open();
    try {
      // only the run whose timer is still pending is left to take over
      expect((await next.claimResumableRuns()).map((r) => r.id)).toEqual([other.id]);
    } finally {
      await next.close();
    }
  });

  it('runs written by importSnapshot belong to no one and are claimable', async () => {
    h = await pgHarness(server);
    const r = makeRun(1);
    await h.store.importSnapshot({ runs: [r] });
    const b = await h.another();
    expect(await b.claimResumableRuns()).toEqual([r]);
  });
});

describe('postgres store: migrations', () => {
  it('several processes opening a fresh database at once apply each migration once; open() takes no exclusive lock', async () => {
    const dbase = await createDatabase(server);
    const stores = Array.from({ length: 5 }, () => createPostgresStore({ url: dbase.url }));
    try {
      await Promise.all(stores.map((s) => s.open()));
      const c = new pg.Client(dbase.url);
      await c.connect();
      const { rows } = await c.query('SELECT version, name FROM schema_migrations ORDER BY version');
      await c.end();
      const files = loadMigrations();
      expect(files.length).toBeGreaterThan(0);
      expect(rows).toEqual(files.map((m) => ({ version: m.version, name: m.name })));
      // all five are usable at the same time
      await Promise.all(stores.map((s, i) => s.putTimer({ id: `t${i}`, kind: 'run', dueAt: at(i) })));
      expect(await stores[0].listTimers()).toHaveLength(5);
      // a later open applies nothing and keeps the data
      const again = createPostgresStore({ url: dbase.url });
      await again.open();
      expect(await again.listTimers()).toHaveLength(5);
      await again.close();
    } finally {
      for (const s of stores) await s.close();
      await dbase.drop();
    }
  });

  it("an instance of the previous release (schema before 007) beside one of this release: its demand reads null, so every path's rate stays split evenly", async () => {
    const dbase = await createDatabase(server);
    const c = new pg.Client(dbase.url);
    await c.connect();
    const s = createPostgresStore({ url: dbase.url, leaseMs: 60_000 });
    try {
      await migrate(
        c,
        loadMigrations().filter((m) => m.version < 7),
      );
      await c.query("INSERT INTO instances (id) VALUES ('previous-release')"); // as that release registers
      await s.open(); // applies 007
      await s.reportHookDemand({ leads: 40 });
      const instances = await s.instances();
      expect(instances.find((i) => i.id === 'previous-release')).toMatchObject({ alive: true, hookDemand: null });
      expect(instances.find((i) => i.id === s.instanceId)).toMatchObject({ alive: true, hookDemand: { leads: 40 } });
      expect(demandShares(instances, s.instanceId).size).toBe(0); // the even share for every path
      await c.query("DELETE FROM instances WHERE id = 'previous-release'"); // upgraded: gone
      expect(demandShares(await s.instances(), s.instanceId).get('leads')).toBe(1);
    } finally {
      await s.close();
      await c.end();
      await dbase.drop();
    }
  });

  it('open() on an unreachable database rejects', async () => {
    const s = createPostgresStore({ url: `postgres://postgres@127.0.0.1:${server.port}/does_not_exist` });
    await expect(s.open()).rejects.toThrow(/does_not_exist/);
  });
});

describe('postgres store: test harness isolation', () => {
  it('each harness works in its own schema', async () => {
    const h1 = await pgHarness(server);
    const h2 = await pgHarness(server);
    try {
      await h1.store.putTimer({ id: 'only-in-1', kind: 'run', dueAt: at(1) });
      expect(await h2.store.listTimers()).toEqual([]);
      const c = new pg.Client(h1.url);
      await c.connect();
      const { rows } = await c.query('SELECT current_schema() AS s, (SELECT count(*)::int FROM timers) AS n');
      await c.end();
      expect(rows[0].s).toMatch(/^t_/);
      expect(rows[0].n).toBe(1);
    } finally {
      await h1.cleanup();
      await h2.cleanup();
    }
  });
});
