// Group commit on a real PostgreSQL: concurrent calls share statements (and commits), each caller still
// gets its own answer only once its row is committed, and one bad row never fails the rest.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { startPostgres, type PostgresInstance } from '../../../../../test/support/postgres.ts';
import { at, makeRun } from '../store.contract.ts';
import { pgHarness, type PgHarness } from './harness.ts';

let server: PostgresInstance;
beforeAll(async () => {
  server = await startPostgres();
});
afterAll(async () => {
  await server?.stop();
});

describe('postgres group commit', () => {
  let h: PgHarness;
  afterEach(async () => {
    await h?.cleanup();
  });

  it('200 concurrent accepts go out in a few statements, each answered once committed', async () => {
    h = await pgHarness(server);
    const before = h.store.groupCommitStats().creates!;
    const runs = Array.from({ length: 200 }, (_, i) => makeRun(i, { idempotencyKey: `k${i}` }));
    const res = await Promise.all(runs.map((r, i) => h.store.createRun(r, { flowId: 'f1', key: `k${i}`, now: at(0), expiresAt: at(3600) })));
    expect(res.every((r) => !r.duplicate)).toBe(true);
    const after = h.store.groupCommitStats().creates!;
    expect(after.items - before.items).toBe(200);
    expect(after.batches - before.batches).toBeLessThanOrEqual(10);
    // committed: another connection sees every run and its claim
    const c = new pg.Client(h.url);
    await c.connect();
    try {
      expect((await c.query<{ n: number }>('SELECT count(*)::int AS n FROM runs')).rows[0]!.n).toBe(200);
      expect((await c.query<{ n: number }>('SELECT count(*)::int AS n FROM dedupe')).rows[0]!.n).toBe(200);
    } finally {
      await c.end();
    }
  });

  it('a key twice in one batch makes one run; the second caller is told it is a duplicate of the first', async () => {
    h = await pgHarness(server);
    const a = makeRun(1, { idempotencyKey: 'same' });
    const b = makeRun(2, { idempotencyKey: 'same' });
    const claim = { flowId: 'f1', key: 'same', now: at(1), expiresAt: at(100) };
    const [ra, rb] = await Promise.all([h.store.createRun(a, claim), h.store.createRun(b, claim)]);
    expect(ra).toMatchObject({ duplicate: false, run: { id: a.id } });
    expect(rb).toMatchObject({ duplicate: true, run: { id: a.id } });
    expect(await h.store.countRuns()).toBe(1);
  });

  it('rows holding NUL or a lone surrogate round-trip exactly in the same batch as the others', async () => {
    h = await pgHarness(server);
    const odd = [makeRun(1, { payload: { s: 'a\u0000b' } }), makeRun(2, { payload: { s: 'x\ud800y' } })];
    const plain = Array.from({ length: 20 }, (_, i) => makeRun(10 + i, { payload: { i } }));
    await Promise.all([...odd, ...plain].map((r) => h.store.createRun(r)));
    for (const r of [...odd, ...plain]) expect(await h.store.getRun(r.id)).toEqual(r);
    const saved = odd.map((r) => ({ ...r, vars: { note: 'still \u0000 here' } }));
    await Promise.all([...saved, ...plain].map((r) => h.store.saveRun(r)));
    expect(await h.store.getRun(saved[0]!.id)).toEqual(saved[0]);
    await Promise.all([h.store.putDoc('outbox', { id: 'o1', body: 'x\u0000y' }), h.store.putDoc('outbox', { id: 'o2', body: 'plain' })]);
    expect(await h.store.getDoc('outbox', 'o1')).toEqual({ id: 'o1', body: 'x\u0000y' });
    expect(await h.store.getDoc('outbox', 'o2')).toEqual({ id: 'o2', body: 'plain' });
  });

  it('one bad item fails alone: the rest of its batch is written', async () => {
    h = await pgHarness(server);
    const first = makeRun(1);
    await h.store.createRun(first);
    // the same run id again (no claim) violates the primary key; its neighbours must not suffer
    const others = Array.from({ length: 10 }, (_, i) => makeRun(100 + i));
    const results = await Promise.allSettled([h.store.createRun(first), ...others.map((r) => h.store.createRun(r))]);
    expect(results[0]!.status).toBe('rejected');
    expect(results.slice(1).every((r) => r.status === 'fulfilled')).toBe(true);
    expect(await h.store.countRuns()).toBe(11);
  });

  it('saves of one run in one batch keep the last; concurrent reads each get their own copy', async () => {
    h = await pgHarness(server);
    const run = makeRun(1);
    await h.store.createRun(run);
    await Promise.all([1, 2, 3].map((n) => h.store.saveRun({ ...run, vars: { n } })));
    const [x, y] = await Promise.all([h.store.getRun(run.id), h.store.getRun(run.id)]);
    expect(x).toEqual({ ...run, vars: { n: 3 } });
    expect(y).toEqual(x);
    expect(y).not.toBe(x);
  });
});
