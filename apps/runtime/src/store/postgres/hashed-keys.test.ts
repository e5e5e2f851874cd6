// Migration 003 on a database written before it: claims and runs stored with raw idempotency keys are
// converted to sha256 in place, so a duplicate of an event accepted before the upgrade is still a
// duplicate after it; and a key of any length (a 900 KB payload field) is claimed and indexed by its
// hash (a raw key that long could not even go into a btree index).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { startPostgres, type PostgresInstance } from '../../../../../test/support/postgres.ts';
import { makeRun, at } from '../store.contract.ts';
import { createSchema } from './harness.ts';
import { createPostgresStore, loadMigrations, migrate, pgKeyHash } from './index.ts';

let server: PostgresInstance;
beforeAll(async () => {
  server = await startPostgres();
});
afterAll(async () => {
  await server?.stop();
});

describe('hashed keys on PostgreSQL', () => {
  it('claims written by the previous schema keep deduping after migration 003', async () => {
    const schema = await createSchema(server);
    const c = new pg.Client(schema.url);
    await c.connect();
    try {
      // the schema as the previous release left it, with one run holding a claim on a raw key
      await migrate(
        c,
        loadMigrations().filter((m) => m.version < 3),
      );
      const old = makeRun(1, { idempotencyKey: 'ada@example.com', record: { entity: 'account', key: 'ada@example.com' }, status: 'waiting' });
      await c.query(
        `INSERT INTO runs (id, flow_id, status, terminal, idempotency_key, record_entity, record_key, created_at, ended_at, doc, owner)
         VALUES ($1, 'f1', 'waiting', false, $2, 'account', $2, $3, NULL, $4::json, NULL)`,
        [old.id, 'ada@example.com', old.createdAt, JSON.stringify(old)],
      );
      await c.query(`INSERT INTO dedupe (flow_id, key, run_id, expires_at) VALUES ('f1', 'ada@example.com', $1, $2)`, [old.id, at(86_400)]);
      const s = createPostgresStore({ url: schema.url });
      await s.open(); // applies 003
      try {
        const dup = await s.createRun(makeRun(2), { flowId: 'f1', key: 'ada@example.com', now: at(10), expiresAt: at(100) });
        expect(dup.duplicate).toBe(true);
        expect(dup.run.id).toBe(old.id);
        expect((await s.listRuns({ key: 'ada@example.com' })).map((r) => r.id)).toEqual([old.id]);
        expect((await s.listRuns({ record: 'account:ada@example.com' })).map((r) => r.id)).toEqual([old.id]);
        expect((await s.listOpenRunsOfRecord('account', 'ada@example.com')).map((r) => r.id)).toEqual([old.id]);
        const stored = await c.query<{ key_hash: string }>('SELECT key_hash FROM dedupe');
        expect(stored.rows).toEqual([{ key_hash: pgKeyHash('ada@example.com') }]);
      } finally {
        await s.close();
      }
    } finally {
      await c.end();
      await schema.drop();
    }
  });

  it('a 900 KB key is claimed and found by its hash; the raw key stays only in the run', async () => {
    const schema = await createSchema(server);
    const s = createPostgresStore({ url: schema.url });
    await s.open();
    try {
      const big = 'k'.repeat(900 * 1024);
      const run = makeRun(1, { idempotencyKey: big });
      expect((await s.createRun(run, { flowId: 'f1', key: big, now: at(0), expiresAt: at(100) })).duplicate).toBe(false);
      const dup = await s.createRun(makeRun(2, { idempotencyKey: big }), { flowId: 'f1', key: big, now: at(1), expiresAt: at(100) });
      expect(dup).toMatchObject({ duplicate: true, run: { id: run.id } });
      expect((await s.listRuns({ key: big })).map((r) => r.id)).toEqual([run.id]);
      const c = new pg.Client(schema.url);
      await c.connect();
      try {
        const { rows } = await c.query<{ n: number }>('SELECT max(length(key_hash))::int AS n FROM dedupe');
        expect(rows[0]!.n).toBe(64);
      } finally {
        await c.end();
      }
    } finally {
      await s.close();
      await schema.drop();
    }
  });
});
