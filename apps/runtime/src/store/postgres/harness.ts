// Test helpers for the Postgres store: one throwaway server per test file, a fresh database per harness.
import pg from 'pg';
import type { PostgresInstance } from '../../../../../test/support/postgres.ts';
import type { StoreHarness } from '../store.contract.ts';
import { createPostgresStore, type PostgresStore, type PostgresStoreOptions } from './index.ts';

let seq = 0;

export interface PgHarness extends StoreHarness {
  store: PostgresStore;
  url: string;
  /** another, independent store instance on the same database (its own pool), opened */
  another(opts?: Partial<PostgresStoreOptions>): Promise<PostgresStore>;
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

/**
 * A fresh schema on the server's `postgres` database, and a URL whose connections use it (search_path
 * set through the `options` connection parameter). Much cheaper than CREATE DATABASE on a busy machine.
 */
export async function createSchema(server: PostgresInstance): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `t_${process.pid}_${++seq}_${Math.random().toString(36).slice(2, 8)}`;
  const admin = async (sql: string) => {
    const c = new pg.Client(server.url);
    await c.connect();
    try {
      await c.query(sql);
    } finally {
      await c.end();
    }
  };
  await admin(`CREATE SCHEMA ${name}`);
  return {
    url: `${server.url}?options=${encodeURIComponent(`-c search_path=${name}`)}`,
    drop: () => admin(`DROP SCHEMA IF EXISTS ${name} CASCADE`),
  };
}

export async function pgHarness(server: PostgresInstance): Promise<PgHarness> {
  const dbase = await createSchema(server);
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
    another: async (opts = {}) => {
      const s = createPostgresStore({ ...opts, url: dbase.url });
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
