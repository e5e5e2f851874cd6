// The PostgreSQL Store adapter (chosen by FLOWDESK_DATABASE_URL): many runtime processes share one
// database. Every write resolves once its transaction has committed.
//
// - Migrations: versioned SQL files in ./migrations (NNN_name.sql), applied in order at open() in one
//   transaction under a transaction-scoped advisory lock, recorded in `schema_migrations`; two
//   processes starting at once serialise on the lock and the second finds nothing left to apply.
// - open() takes no exclusive lock of any kind: any number of processes may use one database.
// - Idempotency: the `dedupe` table's primary key (flow_id, key_hash) is the unique constraint; a claim
//   is taken with INSERT … ON CONFLICT DO UPDATE … WHERE the old claim has expired, in the same
//   statement (so the same transaction) as the run's INSERT. Keys are stored and compared as their
//   sha256 (hex) only (migration 003): any length, bounded rows and indexes.
// - Timers are claimed with DELETE … FOR UPDATE SKIP LOCKED (see claimDueTimers).
import { readdirSync, readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import type { EntityRecord, Flow, RejectedEvent, Run } from '@flowdesk/schema';
import { TERMINAL_STATUSES } from '@flowdesk/schema';
import { createChangeFeed, type PostgresChangeFeed } from './change-feed.ts';
import { createDatabaseFileStore, type DatabaseFileStore } from './files.ts';
import { createHotPath } from './hot-path.ts';
import type { BatcherStats } from './group-commit.ts';
import { createPostgresLeases } from './leases.ts';
import { createPostgresRecordLanes, type PostgresRecordLanes } from './record-lanes.ts';
import type { Leases } from '../../cluster/leases.ts';
import type { InstanceView } from '@flowdesk/schema';
import {
  byEntityThenState,
  type RecordCount,
  CLUSTER_WATCHED_COLLECTIONS,
  StoreBusyError,
  StoreConflictError,
  type CreateRunResult,
  type DedupeClaim,
  type DocCollection,
  type DocCollections,
  type OpenRunsPage,
  type RunQuery,
  type StoreHealth,
  type Store,
  type StoredFlow,
  type Timer,
  type TransitionInput,
} from '../types.ts';

export interface PostgresStoreOptions {
  url: string;
  log?: { warn(msg: string): void; info?(msg: string): void };
  /** connections in the pool (default 10) */
  poolSize?: number;
  /** how long exclusive() waits for another instance's task under the same name (default 30 s) */
  exclusiveWaitMs?: number;
  /** how long to wait for a connection before failing (default 10 s) */
  connectTimeoutMs?: number;
  /**
   * This process's identity for run ownership (default: random per store). Give a value that is stable
   * across restarts of one process (e.g. derived from its data dir) so that, after a crash, the restart
   * takes back its own runs at once instead of after the lease.
   */
  instanceId?: string;
  /** an instance that has not heartbeaten for this long is dead and its runs may be claimed (default 15 s) */
  leaseMs?: number;
  /** how often the change feed compares cluster_changes with what it applied (default 5 s) */
  reconcileMs?: number;
  /** first wait before the change feed reconnects its listening connection (default 100 ms) */
  listenRetryMs?: number;
}

/** A dedupe claim as stored: which run holds (flowId, key) until expiresAt. */
export interface DedupeEntry {
  flowId: string;
  key: string;
  runId: string;
  expiresAt: string;
}

/** Everything a store holds, for `importSnapshot` (used by `npm run migrate -- --to postgres`). */
export interface StoreSnapshot {
  /** every version of every flow, with its own `active` flag and deployedAt */
  flows?: StoredFlow[];
  runs?: Run[];
  /** claims to keep; when absent they are rebuilt from runs carrying idempotencyKey + dedupeExpiresAt */
  dedupe?: DedupeEntry[];
  rejected?: RejectedEvent[];
  /** records with their full history, kept exactly */
  records?: EntityRecord[];
  timers?: Timer[];
  docs?: { [C in DocCollection]?: DocCollections[C][] };
}

export interface ImportCounts {
  flows: number;
  runs: number;
  dedupe: number;
  rejected: number;
  records: number;
  timers: number;
  docs: Record<DocCollection, number>;
}

export interface PostgresStore extends Store {
  readonly instanceId: string;
  /** every instance heard from in the last day: alive or not, with its open runs (GET /api/cluster) */
  instances(): Promise<InstanceView[]>;
  /** this instance's recent webhook requests per path, for the others' rate shares (cluster/rate-shares.ts) */
  reportHookDemand(demand: Record<string, number>): Promise<void>;
  readonly changes: PostgresChangeFeed;
  /** named leases shared by every instance on this database (cluster/leases.ts), on a pool of their own */
  readonly leases: Leases;
  /** batches and items so far per kind of hot-path call (group commit) */
  groupCommitStats(): Record<string, BatcherStats>;
  /** runs of one record key one at a time across instances, in arrival order (runner/record-lanes.ts) */
  readonly recordLanes: PostgresRecordLanes;
  /** files that come with events, in this database (every instance serves them; pg_dump takes them) */
  fileStore(now: () => number): DatabaseFileStore;
  /*
   * claimResumableRuns (the Store contract) claims the runs this process should resume at start: queued, running and
   * waiting runs whose owner is this instance (left by a previous life of it), an instance that is no
   * longer alive (no heartbeat within the lease), or no one. Each is given to one claimer only (FOR
   * UPDATE SKIP LOCKED) and is owned by this instance from then on. A run's owner is the instance that
   * last wrote it or claimed its timer, so runs another live process is driving — including a waiting
   * run whose timer it has just claimed — are never returned. Oldest first.
   * `includeOwn: false` (for a periodic sweep while running) leaves out runs this instance owns, which
   * it is driving itself; the sweep picks up the runs of processes that died and never came back.
   */
  /**
   * Adapter-specific bulk import (one transaction): writes flows with their exact version numbers and
   * active flags, records with their exact histories, runs, dedupe claims, timers, rejected events and
   * documents. Existing rows with the same keys are overwritten.
   */
  importSnapshot(s: StoreSnapshot): Promise<ImportCounts>;
}

const MIGRATIONS_DIR = new URL('./migrations/', import.meta.url);
// an arbitrary constant: the advisory lock key that serialises migrations across processes
const MIGRATION_LOCK = 0x466c6f77; // "Flow"
const DOC_LOCK_SPACE = 0x446f6373; // "Docs"
const FLOW_LOCK_SPACE = 0x466c7773; // "Flws"
const EXCLUSIVE_LOCK_SPACE = 0x45786373; // "Excs"

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export function loadMigrations(dir: URL = MIGRATIONS_DIR): Migration[] {
  const list = readdirSync(dir)
    .filter((f) => /^\d+_.+\.sql$/.test(f))
    .map((f) => ({ version: Number.parseInt(f, 10), name: f, sql: readFileSync(new URL(f, dir), 'utf8') }))
    .sort((a, b) => a.version - b.version);
  for (let i = 1; i < list.length; i++)
    if (list[i].version === list[i - 1].version) throw new Error(`two migrations with version ${list[i].version}: ${list[i - 1].name}, ${list[i].name}`);
  return list;
}

/** Applies pending migrations; returns the names applied. Safe to call from several processes at once. */
export async function migrate(client: pg.ClientBase, migrations: Migration[] = loadMigrations()): Promise<string[]> {
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await client.query(
      'CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())',
    );
    const done = new Set((await client.query<{ version: number }>('SELECT version FROM schema_migrations')).rows.map((r) => r.version));
    const applied: string[] = [];
    for (const m of migrations) {
      if (done.has(m.version)) continue;
      await client.query(m.sql);
      await client.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [m.version, m.name]);
      applied.push(m.name);
    }
    await client.query('COMMIT');
    return applied;
  } catch (e) {
    await client.query('ROLLBACK').catch(() => {});
    throw e;
  }
}

const TERMINAL = [...TERMINAL_STATUSES];
const json = (v: unknown) => JSON.stringify(v);
import { pgKeyHash } from './key-hash.ts';
import { createLocalExclusive } from '../exclusive.ts';
import { RUN_COLS, RUN_PARAM_COUNT, RUN_SET_PARAMS, RUN_UPDATE_SET, RUN_VALUES, runParams } from './run-row.ts';
export { pgKeyHash };

const RUN_UPSERT = `INSERT INTO runs (${RUN_COLS}) VALUES (${RUN_VALUES}) ON CONFLICT (id) DO UPDATE SET ${RUN_UPDATE_SET}`;
// the row's lock makes a second instance's UPDATE wait, then see the status the first one wrote
const RUN_SAVE_FROM = `UPDATE runs SET ${RUN_SET_PARAMS} WHERE id = $1::text AND status = $${RUN_PARAM_COUNT + 1}::text`;

// One statement = one transaction: take (or take over an expired) claim and insert the run only when
// the claim was ours. A concurrent inserter of the same key waits on the unique index until the first
// commits, then sees the live claim and gets no row back. (The WHERE may only look at the conflicting
// row itself: a subquery there reads the statement's snapshot, taken before the other one committed.)
const CREATE_CLAIMED = `
WITH claim AS (
  INSERT INTO dedupe AS d (flow_id, key_hash, run_id, expires_at) VALUES ($12::text, $13::text, $1::text, $14::timestamptz)
  ON CONFLICT (flow_id, key_hash) DO UPDATE SET run_id = excluded.run_id, expires_at = excluded.expires_at
  WHERE d.expires_at <= $15::timestamptz
  RETURNING run_id
), ins AS (
  INSERT INTO runs (${RUN_COLS}) SELECT ${RUN_VALUES} WHERE EXISTS (SELECT 1 FROM claim)
  RETURNING id
)
SELECT (SELECT count(*) FROM ins)::int AS created`;

/** Errors that say the database cannot be used now (not a constraint or a bad statement). */
function isUnavailable(e: unknown): boolean {
  const code = (e as { code?: unknown }).code;
  if (typeof code !== 'string') return /Connection terminated|connection timeout/i.test(String((e as Error)?.message ?? ''));
  return /^(08|53|57P|58)/.test(code) || ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND'].includes(code);
}

const toFlow = (r: { id: string; version: number; active: boolean; hold?: boolean; doc: Flow; deployed_at: string }): StoredFlow => ({
  ...(r.hold ? { hold: true } : {}),
  id: r.id,
  version: r.version,
  active: r.active,
  doc: r.doc,
  deployedAt: r.deployed_at,
});

// alive as the run claims judge it (a heartbeat within the lease); open runs from the partial index
const INSTANCES = `
SELECT i.id, i.started_at, i.heartbeat_at, i.heartbeat_at > now() - make_interval(secs => $1::double precision / 1000) AS alive, i.hook_demand,
       coalesce(r.n, 0)::int AS open_runs
FROM instances i
LEFT JOIN (SELECT owner, count(*) AS n FROM runs WHERE NOT terminal GROUP BY owner) r ON r.owner = i.id
ORDER BY i.started_at, i.id`;

export function createPostgresStore(opts: PostgresStoreOptions): PostgresStore {
  let pool: pg.Pool | undefined;
  let heartbeat: NodeJS.Timeout | undefined;
  const log = opts.log;
  const instanceId = opts.instanceId ?? `pid${process.pid}-${randomUUID()}`;
  const leaseMs = opts.leaseMs ?? 15_000;
  const changes = createChangeFeed({ url: opts.url, pool: () => db(), log, reconcileMs: opts.reconcileMs, retryMs: opts.listenRetryMs, applicationName: `flowdesk-listen ${instanceId}`.slice(0, 63) });
  // Liveness — the instance heartbeat and lease renewals — on a small pool of its own: queued behind the
  // hot path's queries on a busy instance, a heartbeat would arrive late, and its peers would take over
  // runs it is still driving.
  let controlPool: pg.Pool | undefined;
  const control = (): pg.Pool => {
    if (!pool) throw new Error('postgres store is not open');
    if (!controlPool) {
      controlPool = new pg.Pool({ connectionString: opts.url, max: 2, connectionTimeoutMillis: opts.connectTimeoutMs ?? 10_000, application_name: 'flowdesk-liveness' });
      controlPool.on('error', (e) => log?.warn(`postgres liveness pool: ${e.message}`));
    }
    return controlPool;
  };
  const localExclusive = createLocalExclusive();
  const leases = createPostgresLeases({ instanceId, leaseMs, log, pool: control });
  const recordLanes = createPostgresRecordLanes({ url: opts.url, log, connectTimeoutMs: opts.connectTimeoutMs, orderWaitMs: 2 * leaseMs });
  /** announces a change of a watched collection's document (in the caller's transaction when given one) */
  const docChanged = (c: DocCollection) => CLUSTER_WATCHED_COLLECTIONS.has(c);

  const db = (): pg.Pool => {
    if (!pool) throw new Error('postgres store is not open');
    return pool;
  };

  // health: a lost connection or a database that cannot write (disk full, I/O error) makes the store
  // unhealthy until a statement works again
  let failing: StoreHealth | undefined;
  const listeners: ((h: StoreHealth) => void)[] = [];
  const emit = (h: StoreHealth) => listeners.forEach((fn) => fn(h));
  const sawError = (e: unknown) => {
    if (!isUnavailable(e)) return;
    if (failing) return;
    const err = e as { code?: string; message?: string };
    failing = { ok: false, cause: `PostgreSQL: ${err.code ? `${err.code} ` : ''}${err.message ?? String(e)}`, since: new Date().toISOString() };
    emit(failing);
  };
  const sawSuccess = () => {
    if (!failing) return;
    failing = undefined;
    emit({ ok: true });
  };

  const q = async <R extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values?: unknown[], name?: string) => {
    try {
      const res = name ? await db().query<R>({ name, text, values }) : await db().query<R>(text, values);
      sawSuccess();
      return res;
    } catch (e) {
      sawError(e);
      throw e;
    }
  };

  async function tx<T>(fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
    let c: pg.PoolClient;
    try {
      c = await db().connect();
    } catch (e) {
      sawError(e);
      throw e;
    }
    try {
      await c.query('BEGIN');
      const out = await fn(c);
      await c.query('COMMIT');
      sawSuccess();
      return out;
    } catch (e) {
      sawError(e);
      await c.query('ROLLBACK').catch(() => {});
      throw e;
    } finally {
      c.release();
    }
  }

  /** One run at a time (the group-commit path falls back to it for a claim whose run vanished). */
  async function createRunOne(run: Run, dedupe?: DedupeClaim): Promise<CreateRunResult> {
    if (!dedupe) {
      await q(`INSERT INTO runs (${RUN_COLS}) VALUES (${RUN_VALUES})`, runParams(run, instanceId));
      return { run: structuredClone(run), duplicate: false };
    }
    const kh = pgKeyHash(dedupe.key);
    for (let attempt = 0; ; attempt++) {
      const { rows } = await q<{ created: number }>(CREATE_CLAIMED, [...runParams(run, instanceId), dedupe.flowId, kh, dedupe.expiresAt, dedupe.now]);
      if (rows[0].created === 1) return { run: structuredClone(run), duplicate: false };
      // a live claim is held (and committed) by another run: answer with that run as stored now
      const first = await q<{ run_id: string; doc: Run | null }>(
        'SELECT d.run_id, r.doc FROM dedupe d LEFT JOIN runs r ON r.id = d.run_id WHERE d.flow_id = $1 AND d.key_hash = $2',
        [dedupe.flowId, kh],
      );
      const held = first.rows[0];
      if (held?.doc) return { run: held.doc, duplicate: true };
      // The claim's run is gone (pruned; this statement's snapshot is newer than the claim's commit, so
      // the run is not merely invisible): drop that claim, as the memory store ignores it, and retry.
      if (held)
        await q('DELETE FROM dedupe d WHERE d.flow_id = $1 AND d.key_hash = $2 AND d.run_id = $3 AND NOT EXISTS (SELECT 1 FROM runs r WHERE r.id = d.run_id)', [
          dedupe.flowId,
          kh,
          held.run_id,
        ]);
      if (attempt >= 5) throw new Error(`could not claim dedupe key ${dedupe.flowId}/${kh} (sha256)`);
    }
  }

  // the calls every event makes, each batched into one statement (and one commit) per batch
  const hot = createHotPath({ query: q, instanceId, createRunOne });

  const store: PostgresStore = {
    instanceId,
    fileStore: (now) => createDatabaseFileStore({ query: q, now }),
    // every write is a round trip and a commit: with more runs in flight each batch carries more of them
    driveConcurrency: 128,
    holdSlotForFinishHooks: true,
    health: () => failing ?? { ok: true },
    onHealthChange(fn) {
      listeners.push(fn);
    },
    changes,
    leases,
    recordLanes,
    groupCommitStats: () => hot.stats(),
    async instances() {
      const { rows } = await q<{ id: string; started_at: Date; heartbeat_at: Date; alive: boolean; open_runs: number; hook_demand: Record<string, number> | null }>(INSTANCES, [leaseMs]);
      return rows.map((r) => ({
        id: r.id,
        startedAt: r.started_at.toISOString(),
        heartbeatAt: r.heartbeat_at.toISOString(),
        alive: r.alive,
        openRuns: r.open_runs,
        hookDemand: r.hook_demand,
      }));
    },
    async reportHookDemand(demand) {
      await q('UPDATE instances SET hook_demand = $2::json WHERE id = $1', [instanceId, JSON.stringify(demand)]);
    },
    async open() {
      if (pool) return;
      const p = new pg.Pool({ connectionString: opts.url, max: opts.poolSize ?? 10, connectionTimeoutMillis: opts.connectTimeoutMs ?? 10_000 });
      // an idle client losing its connection (server restart) must not crash the process
      p.on('error', (e) => log?.warn(`postgres pool: ${e.message}`));
      const c = await p.connect().catch(async (e: unknown) => {
        await p.end().catch(() => {});
        throw e;
      });
      try {
        const applied = await migrate(c);
        if (applied.length) log?.info?.(`postgres store: applied migrations ${applied.join(', ')}`);
      } catch (e) {
        c.release();
        await p.end().catch(() => {});
        throw e;
      }
      c.release();
      pool = p;
      await p.query(
        // hook_demand '{}': this release reports it (NULL marks an instance of an earlier one)
        "INSERT INTO instances (id, hook_demand) VALUES ($1, '{}') ON CONFLICT (id) DO UPDATE SET started_at = now(), heartbeat_at = now(), hook_demand = '{}'",
        [instanceId],
      );
      // forget instances that died long ago (their runs, if any, are claimable either way)
      await p.query("DELETE FROM instances WHERE heartbeat_at < now() - interval '1 day'");
      heartbeat = setInterval(() => {
        control()
          .query('UPDATE instances SET heartbeat_at = now() WHERE id = $1', [instanceId])
          .catch((e: Error) => log?.warn(`postgres heartbeat: ${e.message}`));
      }, Math.max(50, Math.floor(leaseMs / 3)));
      heartbeat.unref();
      try {
        await changes.start();
      } catch (e) {
        await store.close();
        throw e;
      }
    },
    async close() {
      if (heartbeat) clearInterval(heartbeat);
      heartbeat = undefined;
      await hot.idle();
      await changes.stop();
      if (pool) await leases.close();
      await recordLanes.close();
      const lp = controlPool;
      controlPool = undefined;
      await lp?.end().catch(() => {});
      const p = pool;
      pool = undefined;
      if (!p) return;
      // a clean stop: whatever this instance still owns may be taken over at once
      await p.query('DELETE FROM instances WHERE id = $1', [instanceId]).catch(() => {});
      await p.end();
    },

    // ── flows ──
    async putFlow(doc, at) {
      return tx(async (c) => {
        // serialise deploys of one flow id so versions are consecutive
        await c.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [FLOW_LOCK_SPACE, doc.id]);
        const { rows } = await c.query<{ v: number }>('SELECT coalesce(max(version), 0) + 1 AS v FROM flows WHERE id = $1', [doc.id]);
        const version = rows[0].v;
        const sf: StoredFlow = { id: doc.id, version, active: doc.active !== false, doc: { ...doc, version }, deployedAt: at };
        await c.query('INSERT INTO flows (id, version, active, doc, deployed_at) VALUES ($1, $2, $3, $4::json, $5)', [
          sf.id,
          sf.version,
          sf.active,
          json(sf.doc),
          at,
        ]);
        await c.query("SELECT flowdesk_changed('flows', $1)", [doc.id]);
        return structuredClone(sf);
      });
    },
    async getFlow(id, version) {
      const { rows } =
        version === undefined
          ? await q('SELECT * FROM flows WHERE id = $1 ORDER BY version DESC LIMIT 1', [id])
          : await q('SELECT * FROM flows WHERE id = $1 AND version = $2', [id, version]);
      return rows[0] ? toFlow(rows[0] as never) : undefined;
    },
    async listFlows() {
      const { rows } = await q('SELECT DISTINCT ON (id) * FROM flows ORDER BY id, version DESC');
      return rows.map((r) => toFlow(r as never));
    },
    async listFlowVersions(id) {
      const { rows } = await q('SELECT * FROM flows WHERE id = $1 ORDER BY version', [id]);
      return rows.map((r) => toFlow(r as never));
    },
    async setFlowActive(id, active, hold) {
      await q(
        `WITH u AS (UPDATE flows SET active = $2, hold = $3 WHERE id = $1 AND version = (SELECT max(version) FROM flows WHERE id = $1) RETURNING id)
         SELECT flowdesk_changed('flows', id) FROM u`,
        [id, active, hold === true && !active],
      );
    },

    // ── runs ──
    createRun: (run: Run, dedupe?: DedupeClaim) => hot.createRun(run, dedupe),
    saveRun: (run) => hot.saveRun(run),
    async saveRunFrom(run, from) {
      return (await q(RUN_SAVE_FROM, [...runParams(run, instanceId), from])).rowCount === 1;
    },
    async runDrivenElsewhere(runId) {
      const { rowCount } = await q(
        `SELECT 1 FROM runs r JOIN instances i ON i.id = r.owner
         WHERE r.id = $1 AND NOT r.terminal AND r.owner <> $2 AND i.heartbeat_at > now() - make_interval(secs => $3::double precision / 1000)`,
        [runId, instanceId, leaseMs],
      );
      return rowCount === 1;
    },
    getRun: (id) => hot.getRun(id),
    async listRuns(rq: RunQuery) {
      const where: string[] = [];
      const vals: unknown[] = [];
      const p = (v: unknown) => (vals.push(v), `$${vals.length}`);
      if (rq.flowId) where.push(`flow_id = ${p(rq.flowId)}`);
      if (rq.status) where.push(`status = ${p(rq.status)}`);
      if (rq.key !== undefined) where.push(`idempotency_key_hash = ${p(pgKeyHash(rq.key))}`);
      if (rq.record) {
        const i = rq.record.indexOf(':');
        const whole = p(pgKeyHash(rq.record));
        if (i >= 0) where.push(`(record_key_hash = ${whole} OR (record_entity = ${p(rq.record.slice(0, i))} AND record_key_hash = ${p(pgKeyHash(rq.record.slice(i + 1)))}))`);
        else where.push(`record_key_hash = ${whole}`);
      }
      if (rq.before) where.push(`(created_at, id) < (SELECT b.created_at, b.id FROM runs b WHERE b.id = ${p(rq.before)})`);
      if (rq.from) where.push(`created_at >= ${p(rq.from)}`);
      if (rq.to) where.push(`created_at < ${p(rq.to)}`);
      if (rq.endedFrom) where.push(`terminal AND ended_at >= ${p(rq.endedFrom)}`);
      const limit = p(rq.limit ?? 50);
      const { rows } = await q<{ doc: Run }>(
        `SELECT doc FROM runs ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at DESC, id DESC LIMIT ${limit}`,
        vals,
      );
      return rows.map((r) => r.doc);
    },
    async listOpenRuns(page?: OpenRunsPage) {
      if (!page) {
        const { rows } = await q<{ doc: Run }>('SELECT doc FROM runs WHERE NOT terminal ORDER BY created_at, id');
        return rows.map((r) => r.doc);
      }
      const { rows } = await q<{ doc: Run }>(
        page.after === undefined
          ? 'SELECT doc FROM runs WHERE NOT terminal ORDER BY created_at, id LIMIT $1'
          : `SELECT doc FROM runs WHERE NOT terminal AND (created_at, id) > (SELECT a.created_at, a.id FROM runs a WHERE a.id = $2) ORDER BY created_at, id LIMIT $1`,
        page.after === undefined ? [page.limit] : [page.limit, page.after],
      );
      return rows.map((r) => r.doc);
    },
    async listOpenRunsOfRecord(entity, key) {
      const { rows } = await q<{ doc: Run }>(
        'SELECT doc FROM runs WHERE NOT terminal AND record_entity = $1 AND record_key_hash = $2 ORDER BY created_at, id',
        [entity, pgKeyHash(key)],
      );
      return rows.map((r) => r.doc);
    },
    async claimResumableRuns(o = {}) {
      const { rows } = await q<{ doc: Run; created_at: Date; id: string }>(
        `WITH mine AS (
           SELECT r.id FROM runs r
           WHERE NOT r.terminal AND r.status IN ('queued', 'running', 'waiting')
             AND (r.owner IS NULL OR (r.owner = $1 AND $4::boolean) OR (r.owner <> $1 AND NOT EXISTS (
               SELECT 1 FROM instances i WHERE i.id = r.owner AND i.heartbeat_at > now() - make_interval(secs => $2::double precision / 1000))))
             AND ($5::text IS NULL OR (r.created_at, r.id) > (SELECT a.created_at, a.id FROM runs a WHERE a.id = $5))
           ORDER BY r.created_at, r.id
           LIMIT $3
           FOR UPDATE SKIP LOCKED
         )
         UPDATE runs t SET owner = $1 FROM mine WHERE t.id = mine.id
         RETURNING t.doc, t.created_at, t.id`,
        [instanceId, leaseMs, o.limit ?? 100_000, o.includeOwn !== false, o.after ?? null],
      );
      rows.sort((a, b) => a.created_at.getTime() - b.created_at.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
      return rows.map((r) => r.doc);
    },
    async pruneRuns(before) {
      const res = await q('DELETE FROM runs WHERE terminal AND status = ANY($2) AND ended_at < $1', [before, TERMINAL]);
      // claims that expired before the cutoff can never block a key again: drop them too
      await q('DELETE FROM dedupe WHERE expires_at < $1', [before]);
      return res.rowCount ?? 0;
    },
    async countRuns() {
      const { rows } = await q<{ n: number }>('SELECT count(*)::int AS n FROM runs');
      return rows[0].n;
    },

    // ── rejected ──
    addRejected: (e) => hot.addRejected(e),
    async listRejected(rq) {
      const where: string[] = [];
      const vals: unknown[] = [];
      const p = (v: unknown) => (vals.push(v), `$${vals.length}`);
      if (rq.flowId) where.push(`flow_id = ${p(rq.flowId)}`);
      if (rq.since) where.push(`at >= ${p(rq.since)}`);
      const limit = p(rq.limit ?? 100);
      const { rows } = await q<{ doc: RejectedEvent }>(
        `SELECT doc FROM rejected ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY at DESC, id DESC LIMIT ${limit}`,
        vals,
      );
      return rows.map((r) => r.doc);
    },

    // ── records ──
    async getRecord(entity, key) {
      const { rows } = await q<{ doc: EntityRecord }>('SELECT doc FROM records WHERE entity = $1 AND key = $2', [entity, key]);
      return rows[0]?.doc;
    },
    async listRecords(rq) {
      const where: string[] = [];
      const vals: unknown[] = [];
      if (rq.entity) (vals.push(rq.entity), where.push(`entity = $${vals.length}`));
      if (rq.state) (vals.push(rq.state), where.push(`state = $${vals.length}`));
      const { rows } = await q<{ doc: EntityRecord }>(
        `SELECT doc FROM records ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY entity, key`,
        vals,
      );
      return rows.map((r) => r.doc);
    },
    async countRecords() {
      const { rows } = await q<RecordCount>('SELECT entity, state, count(*)::int AS count FROM records GROUP BY entity, state');
      return rows.sort(byEntityThenState);
    },
    async transitionRecord(t: TransitionInput) {
      return tx(async (c) => {
        for (;;) {
          const { rows } = await c.query<{ doc: EntityRecord }>('SELECT doc FROM records WHERE entity = $1 AND key = $2 FOR UPDATE', [t.entity, t.key]);
          const cur = rows[0]?.doc;
          const curState = cur?.state ?? null;
          if (t.expectFrom !== undefined && t.expectFrom !== curState)
            throw new StoreConflictError(`record ${t.entity}:${t.key} is in state ${curState ?? '(none)'}, expected ${t.expectFrom ?? '(none)'}`, curState);
          const tr = { id: `tr-${randomUUID()}`, from: curState, to: t.to, at: t.at, cause: t.cause };
          if (cur) {
            const next: EntityRecord = { ...cur, state: t.to, data: { ...cur.data, ...(t.data ?? {}) }, history: [...cur.history, tr], updatedAt: t.at };
            await c.query('UPDATE records SET state = $3, doc = $4::json WHERE entity = $1 AND key = $2', [t.entity, t.key, t.to, json(next)]);
            return structuredClone(next);
          }
          const next: EntityRecord = { entity: t.entity, key: t.key, state: t.to, data: t.data ?? {}, history: [tr], createdAt: t.at, updatedAt: t.at };
          const ins = await c.query('INSERT INTO records (entity, key, state, doc) VALUES ($1, $2, $3, $4::json) ON CONFLICT DO NOTHING', [
            t.entity,
            t.key,
            t.to,
            json(next),
          ]);
          if (ins.rowCount === 1) return structuredClone(next);
          // created meanwhile by another transaction (now committed): lock it and check again
        }
      });
    },

    // ── timers ──
    putTimer: (t) => hot.putTimer(t),
    deleteTimer: (id) => hot.deleteTimer(id),
    async getTimer(id) {
      const { rows } = await q<{ doc: Timer }>('SELECT doc FROM timers WHERE id = $1', [id]);
      return rows[0]?.doc;
    },
    async countTimers() {
      const { rows } = await q<{ n: number }>('SELECT count(*)::int AS n FROM timers');
      return rows[0].n;
    },
    async listTimers() {
      const { rows } = await q<{ doc: Timer }>('SELECT doc FROM timers ORDER BY due_at, id');
      return rows.map((r) => r.doc);
    },
    /**
     * Row locks with SKIP LOCKED rather than a job queue such as pg-boss or graphile-worker: those bring
     * their own schema, maintenance loop and (pg-boss) a polling daemon, while the Store contract's claim
     * semantics map 1:1 onto one statement: a claimer locks the earliest due rows nobody else holds,
     * deletes them and commits; a concurrent claimer skips the locked rows instead of waiting and takes
     * the next ones, so several runtime processes never get the same timer. A process that dies after
     * the commit leaves the run open, and start-up resume picks it up (at-least-once, as the contract says).
     */
    async claimDueTimers(now, limit) {
      // The claimer also becomes the owner of the timers' runs (same statement), so a process starting
      // meanwhile does not take a run that was just woken here (see claimResumableRuns).
      const { rows } = await q<{ due_at: Date; id: string; doc: Timer }>(
        `WITH due AS (
           SELECT id FROM timers WHERE due_at <= $1 ORDER BY due_at, id LIMIT $2 FOR UPDATE SKIP LOCKED
         ), claimed AS (
           DELETE FROM timers t USING due WHERE t.id = due.id
           RETURNING t.due_at, t.id, t.doc
         ), owned AS (
           UPDATE runs r SET owner = $3 FROM claimed c WHERE r.id = (c.doc->>'runId') AND NOT r.terminal
           RETURNING r.id
         )
         SELECT due_at, id, doc FROM claimed`,
        [now, limit, instanceId],
      );
      rows.sort((a, b) => {
        return a.due_at.getTime() - b.due_at.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
      });
      return rows.map((r) => r.doc);
    },

    // ── documents ──
    async putDoc(c, doc) {
      if (!docChanged(c)) return hot.putDoc(c, doc);
      const put = 'INSERT INTO docs (collection, id, doc) VALUES ($1, $2, $3::json) ON CONFLICT (collection, id) DO UPDATE SET doc = excluded.doc';
      await q(`WITH w AS (${put} RETURNING collection, id) SELECT flowdesk_changed('docs:' || collection, id) FROM w`, [c, doc.id, json(doc)]);
    },
    getDoc: (c, id) => hot.getDoc(c, id),
    async countDocs(c, status) {
      const { rows } = await q<{ n: number }>("SELECT count(*)::int AS n FROM docs WHERE collection = $1 AND doc->>'status' = $2", [c, status]);
      return rows[0].n;
    },
    async listDocs<C extends DocCollection>(c: C) {
      const { rows } = await q<{ doc: DocCollections[C] }>('SELECT doc FROM docs WHERE collection = $1 ORDER BY id', [c]);
      return rows.map((r) => r.doc);
    },
    async deleteDoc(c, id) {
      const del = 'DELETE FROM docs WHERE collection = $1 AND id = $2';
      await q(docChanged(c) ? `WITH w AS (${del} RETURNING collection, id) SELECT flowdesk_changed('docs:' || collection, id) FROM w` : del, [c, id]);
    },
    async updateDoc<C extends DocCollection>(c: C, id: string, update: (cur: DocCollections[C] | undefined) => DocCollections[C] | undefined) {
      return tx(async (cl) => {
        // the advisory lock also covers an absent document (nothing for FOR UPDATE to lock yet)
        await cl.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [DOC_LOCK_SPACE, `${c}\u0001${id}`]);
        const { rows } = await cl.query<{ doc: DocCollections[C] }>('SELECT doc FROM docs WHERE collection = $1 AND id = $2 FOR UPDATE', [c, id]);
        const next = update(rows[0]?.doc);
        if (next === undefined) return undefined;
        await cl.query('INSERT INTO docs (collection, id, doc) VALUES ($1, $2, $3::json) ON CONFLICT (collection, id) DO UPDATE SET doc = excluded.doc', [
          c,
          id,
          json(next),
        ]);
        if (docChanged(c)) await cl.query("SELECT flowdesk_changed('docs:' || $1, $2)", [c, id]);
        return structuredClone(next);
      });
    },

    // one connection per name waits for the lock (the rest queue here), so waiting tasks never hold the
    // whole pool while the holder's task needs a connection; the lock goes with the transaction
    async exclusive<T>(name: string, task: () => Promise<T>): Promise<T> {
      return localExclusive(name, () =>
        tx(async (cl) => {
          const waitMs = opts.exclusiveWaitMs ?? 30_000;
          await cl.query("SELECT set_config('lock_timeout', $1, true)", [`${waitMs}ms`]);
          try {
            await cl.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [EXCLUSIVE_LOCK_SPACE, name]);
          } catch (e) {
            // 55P03 lock_not_available: lock_timeout ran out (a holder stuck, or a long queue of changes)
            if ((e as { code?: string }).code === '55P03') throw new StoreBusyError(name, waitMs);
            throw e;
          }
          return task();
        }),
      );
    },

    // ── bulk import (migrate) ──
    async importSnapshot(s: StoreSnapshot): Promise<ImportCounts> {
      return tx(async (c) => {
        const counts: ImportCounts = {
          flows: 0,
          runs: 0,
          dedupe: 0,
          rejected: 0,
          records: 0,
          timers: 0,
          docs: { deadLetters: 0, reviews: 0, alerts: 0, tasks: 0, outbox: 0, settings: 0, kpiFacts: 0, connections: 0 },
        };
        for (const f of s.flows ?? []) {
          await c.query(
            `INSERT INTO flows (id, version, active, doc, deployed_at, hold) VALUES ($1, $2, $3, $4::json, $5, $6)
             ON CONFLICT (id, version) DO UPDATE SET active = excluded.active, doc = excluded.doc, deployed_at = excluded.deployed_at, hold = excluded.hold`,
            [f.id, f.version, f.active, json({ ...f.doc, version: f.version }), f.deployedAt, f.hold === true && !f.active],
          );
          await c.query("SELECT flowdesk_changed('flows', $1)", [f.id]);
          counts.flows++;
        }
        for (const r of s.runs ?? []) {
          // imported runs belong to no one: the first runtime to start claims the open ones
          await c.query(RUN_UPSERT, runParams(r, null));
          counts.runs++;
        }
        const claims: DedupeEntry[] =
          s.dedupe ??
          (s.runs ?? [])
            .filter((r) => r.idempotencyKey !== null && r.idempotencyKey !== undefined && r.dedupeExpiresAt)
            // the newest run of a (flow, key) holds the claim
            .sort((a, b) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : 0))
            .map((r) => ({ flowId: r.flowId, key: r.idempotencyKey!, runId: r.id, expiresAt: r.dedupeExpiresAt! }));
        for (const d of claims) {
          await c.query(
            `INSERT INTO dedupe (flow_id, key_hash, run_id, expires_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (flow_id, key_hash) DO UPDATE SET run_id = excluded.run_id, expires_at = excluded.expires_at`,
            [d.flowId, pgKeyHash(d.key), d.runId, d.expiresAt],
          );
          counts.dedupe++;
        }
        for (const e of s.rejected ?? []) {
          await c.query('INSERT INTO rejected (id, at, flow_id, doc) VALUES ($1, $2, $3, $4::json) ON CONFLICT (id) DO NOTHING', [
            e.id,
            e.at,
            e.flowId ?? null,
            json(e),
          ]);
          counts.rejected++;
        }
        for (const r of s.records ?? []) {
          await c.query(
            `INSERT INTO records (entity, key, state, doc) VALUES ($1, $2, $3, $4::json)
             ON CONFLICT (entity, key) DO UPDATE SET state = excluded.state, doc = excluded.doc`,
            [r.entity, r.key, r.state, json(r)],
          );
          counts.records++;
        }
        for (const t of s.timers ?? []) {
          await c.query('INSERT INTO timers (id, due_at, doc) VALUES ($1, $2, $3::json) ON CONFLICT (id) DO UPDATE SET due_at = excluded.due_at, doc = excluded.doc', [
            t.id,
            t.dueAt,
            json(t),
          ]);
          counts.timers++;
        }
        for (const [coll, list] of Object.entries(s.docs ?? {}) as [DocCollection, { id: string }[]][]) {
          for (const d of list ?? []) {
            await c.query('INSERT INTO docs (collection, id, doc) VALUES ($1, $2, $3::json) ON CONFLICT (collection, id) DO UPDATE SET doc = excluded.doc', [
              coll,
              d.id,
              json(d),
            ]);
            counts.docs[coll]++;
          }
        }
        return counts;
      });
    },
  };
  return store;
}
