// What the PostgreSQL schema experiments (pg-hot-finish, pg-values-rows) share: a durable throwaway server
// and one connection, each variant on a fresh schema built by the store's own migrations, variants
// interleaved round by round (the order turned every other round, so a slow minute hits each alike).
import pg from 'pg';
import { migrate } from '../apps/runtime/src/store/postgres/index.ts';
import { startPostgres } from '../test/support/postgres.ts';
import { procStat } from './lib.ts';

/** Drops and re-creates the schema, migrates it; returns the connection's backend pid (for its CPU from /proc). */
export async function freshSchema(c: pg.Client): Promise<number> {
  await c.query('DROP SCHEMA public CASCADE; CREATE SCHEMA public;');
  await migrate(c);
  return (await c.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
}

/** The backend's CPU µs since `fromUs` (a procStat reading). */
export const backendCpuUs = (pid: number, fromUs = 0): number => procStat(pid).cpuUs - fromUs;

export async function pgVariantRounds<V, R>(variants: readonly V[], rounds: number, drive: (c: pg.Client, variant: V, round: number) => Promise<R>): Promise<R[]> {
  const server = await startPostgres({ settings: 'durable' });
  const c = new pg.Client({ connectionString: server.url });
  await c.connect();
  const results: R[] = [];
  try {
    for (let r = 0; r < rounds; r++) for (const v of r % 2 ? [...variants].reverse() : variants) results.push(await drive(c, v, r));
  } finally {
    await c.end();
    await server.stop();
  }
  return results;
}
