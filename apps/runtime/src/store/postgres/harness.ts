// Test helpers for the Postgres store: one throwaway server per test file, a fresh database per harness.
import pg from 'pg';
import { startPostgres, type PostgresInstance } from '../../../../../test/support/postgres.ts';
import type { StoreHarness } from '../store.contract.ts';
import { createPostgresStore, type PostgresStore } from './index.ts';

let seq = 0;

export interface PgHarness extends StoreHarness {
  store: PostgresStore;
  url: string;
  /** another, independent store instance on the same database (its own pool), opened */
  another(): Promise<PostgresStore>;
}

export async function createDatabase(server: PostgresInstance): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `t_${process.pid}_${++seq}_${Math.random().toString(36).slice(2, 8)}`;
  const admin = new pg.Client(server.url);
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  return {
    url: server.urlFor(name),
    async drop() {
      const c = new pg.Client(server.url);
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}

export async function pgHarness(server: PostgresInstance): Promise<PgHarness> {
  const dbase = await createDatabase(server);
  const extra: PostgresStore[] = [];
  let current = createPostgresStore({ url: dbase.url });
  await current.open();
  return {
    store: current,
    url: dbase.url,
    reopen: async () => {
      await current.close();
      current = createPostgresStore({ url: dbase.url });
      await current.open();
      return current;
    },
    another: async () => {
      const s = createPostgresStore({ url: dbase.url });
      await s.open();
      extra.push(s);
      return s;
    },
    cleanup: async () => {
      await current.close();
      for (const s of extra) await s.close();
      await dbase.drop();
    },
  };
}
