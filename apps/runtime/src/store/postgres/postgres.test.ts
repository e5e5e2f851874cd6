// The Store contract suite against a real PostgreSQL (started on loopback by the test itself).
import { afterAll, beforeAll } from 'vitest';
import { startPostgres, type PostgresInstance } from '../../../../../test/support/postgres.ts';
import { runStoreContract } from '../store.contract.ts';
import { pgHarness } from './harness.ts';

let server: PostgresInstance;
beforeAll(async () => {
  server = await startPostgres();
});
afterAll(async () => {
  await server?.stop();
});

runStoreContract('postgres', () => pgHarness(server));
