// Record lanes across instances (see runner/record-lanes.ts) on PostgreSQL: a session-level advisory lock
// per record key, held by one of a few dedicated connections while a run of that record is driven. A
// process that dies closes its connections, and PostgreSQL frees its locks at once.
//
// Arrival order: the lock is taken (one statement) only when no run of the record that was created
// earlier is still `queued` (accepted, not started). A run that arrived later on this instance waits until
// the earlier one — wherever it was accepted — has started and let go of the record. That wait is bounded
// (`orderWaitMs`): a run stuck queued (its instance gone, until the sweep takes it over) delays the record,
// never blocks it for good.
import pg from 'pg';
import { pgKeyHash } from './key-hash.ts';
import type { Run } from '@flowdesk/schema';
import type { RecordLanes } from '../../runner/record-lanes.ts';

export interface PostgresRecordLanesOptions {
  url: string;
  /** dedicated connections holding the locks (a record always maps to the same one); default 2 */
  connections?: number;
  /** longest wait for earlier runs of a record to start (default 30 s) */
  orderWaitMs?: number;
  connectTimeoutMs?: number;
  log?: { warn(msg: string): void };
}

export interface PostgresRecordLanes extends RecordLanes {
  close(): Promise<void>;
  /** how often a run waited for another instance (or an earlier run), and gave up waiting for order */
  stats(): { waits: number; orderTimeouts: number };
}

// 'behind': an earlier run of the record has not started; 'busy': another session holds the lock
const TAKE = `
SELECT CASE
  WHEN $4::boolean AND EXISTS (
    SELECT 1 FROM runs e, runs r
    WHERE r.id = $1 AND e.record_entity = $2 AND e.record_key_hash = $3 AND NOT e.terminal AND e.status = 'queued'
      AND (e.created_at, e.id) < (r.created_at, r.id))
  THEN 'behind'
  WHEN pg_try_advisory_lock(hashtextextended($2 || chr(1) || $3, 0)) THEN 'locked'
  ELSE 'busy' END AS state`;
const GIVE = `SELECT pg_advisory_unlock(hashtextextended($1 || chr(1) || $2, 0)) AS released`;

export function createPostgresRecordLanes(opts: PostgresRecordLanesOptions): PostgresRecordLanes {
  const n = Math.max(1, opts.connections ?? 2);
  const orderWaitMs = opts.orderWaitMs ?? 30_000;
  const clients: (Promise<pg.Client> | undefined)[] = new Array(n).fill(undefined);
  const counters = { waits: 0, orderTimeouts: 0 };
  let closed = false;

  const slot = (lane: string) => {
    let h = 0;
    for (let i = 0; i < lane.length; i++) h = (h * 31 + lane.charCodeAt(i)) | 0;
    return Math.abs(h) % n;
  };

  function client(i: number): Promise<pg.Client> {
    if (closed) return Promise.reject(new Error('record lanes are closed'));
    const existing = clients[i];
    if (existing) return existing;
    const c = new pg.Client({ connectionString: opts.url, connectionTimeoutMillis: opts.connectTimeoutMs ?? 10_000, application_name: 'flowdesk-lanes' });
    const pending = c.connect().then(() => c);
    clients[i] = pending;
    const drop = (why: string) => {
      if (clients[i] !== pending) return;
      clients[i] = undefined;
      // the locks went with the session: a run being driven now is no longer fenced off elsewhere
      if (!closed) opts.log?.warn(`record lanes: connection lost (${why}); runs driven now may overlap with another instance until they end`);
    };
    c.on('error', (e) => drop(e.message));
    c.on('end', () => drop('closed'));
    pending.catch(() => drop('could not connect'));
    return pending;
  }

  return {
    async exclusive<T>(run: Pick<Run, 'id' | 'record'>, task: () => Promise<T>): Promise<T> {
      if (!run.record) return task();
      const { entity, key } = run.record;
      // keys are stored and locked by their sha256 (a key may be any length)
      const keyHash = pgKeyHash(key);
      const i = slot(`${entity}\u0001${key}`);
      const started = Date.now();
      let inOrder = true;
      for (let wait = 5; ; wait = Math.min(wait * 2, 200)) {
        let state: 'locked' | 'behind' | 'busy' | 'error';
        try {
          const c = await client(i);
          state = (await c.query<{ state: 'locked' | 'behind' | 'busy' }>(TAKE, [run.id, entity, keyHash, inOrder])).rows[0]!.state;
        } catch (e) {
          // the database is away: the run cannot go on without it anyway; try again until closed
          if (closed) throw e;
          if (wait === 5) opts.log?.warn(`record lanes: ${(e as Error).message}; retrying`);
          state = 'error';
        }
        if (state === 'locked') break;
        counters.waits++;
        if (inOrder && Date.now() - started > orderWaitMs) {
          inOrder = false; // the earlier run is stuck somewhere: go on without it
          counters.orderTimeouts++;
          opts.log?.warn(`run ${run.id}: runs of ${entity} ${key} that arrived earlier have not started for ${orderWaitMs} ms; going on without them`);
        }
        await new Promise((r) => setTimeout(r, wait));
      }
      try {
        return await task();
      } finally {
        const c = await client(i).catch(() => undefined);
        await c?.query(GIVE, [entity, keyHash]).catch((e: Error) => opts.log?.warn(`record lanes: releasing ${entity} ${key} failed: ${e.message}`));
      }
    },
    stats: () => ({ ...counters }),
    async close() {
      closed = true;
      const all = await Promise.all(clients.map((c) => c?.catch(() => undefined)));
      clients.fill(undefined);
      await Promise.all(all.map((c) => c?.end().catch(() => {})));
    },
  };
}
