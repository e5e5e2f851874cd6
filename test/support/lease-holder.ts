// A test process that holds a lease as a runtime instance would: it opens the PostgreSQL store
// (FLOWDESK_DATABASE_URL, FLOWDESK_LEASE_MS) and owns LEASE_NAME, printing one JSON line per event
// ({"event":"ready"|"acquired"|"stopped", token, at}) so the test can SIGKILL the holder and watch who
// takes over.
import { createPostgresStore } from '../../apps/runtime/src/store/postgres/index.ts';

const env = process.env;
const store = createPostgresStore({ url: env.FLOWDESK_DATABASE_URL!, leaseMs: Number(env.FLOWDESK_LEASE_MS), reconcileMs: 60_000 });
await store.open();
const say = (event: string, token?: number) => console.log(JSON.stringify({ event, token, pid: process.pid, at: Date.now() }));
store.leases.own(env.LEASE_NAME!, (lease) => {
  say('acquired', lease.token);
  return () => say('stopped', lease.token);
});
say('ready');
