// The PostgreSQL store's hot path with group commit (group-commit.ts): the calls every event makes —
// accept (createRun with its dedupe claim), read and save the run, drop its timer, write its KPI fact,
// record a refusal — each become one multi-row statement per batch. Rows travel as the typed parameters
// of one VALUES list (values-rows.ts): each run document is serialised once and stored as `json` text
// exactly as written.
import type pg from 'pg';
import type { RejectedEvent, Run } from '@flowdesk/schema';
import type { CreateRunResult, DedupeClaim, DocCollection, DocCollections, Timer } from '../types.ts';
import { Batcher, retryablePgError, unavailablePgError, type BatcherStats } from './group-commit.ts';
import { pgKeyHash as keyHash } from './key-hash.ts';
import { RUN_COLS, RUN_SHAPE, RUN_UPDATE_SET, runParams } from './run-row.ts';
import { MAX_ROWS, rowShape, rowsStatement, type RowShape } from './values-rows.ts';

/** `name`: run as a named prepared statement (parsed and planned once per connection, then only bound and executed) */
type Query = <R extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values?: unknown[], name?: string) => Promise<pg.QueryResult<R>>;

/** The one-statement version of an accept: for the rare claim whose run vanished meanwhile (pruned). */
export interface HotPathDeps {
  query: Query;
  instanceId: string;
  createRunOne(run: Run, dedupe?: DedupeClaim): Promise<CreateRunResult>;
}

const CREATE_SHAPE: RowShape = {
  names: [...RUN_SHAPE.names, 'd_flow', 'd_key', 'd_expires', 'd_now'],
  types: [...RUN_SHAPE.types, 'text', 'text', 'timestamptz', 'timestamptz'],
};
const KEY_HASH_AT = RUN_SHAPE.names.indexOf('idempotency_key_hash');

// Claims and runs of a whole batch in one statement (one transaction). Claims are taken in (flow, key)
// order, so two instances' batches sharing keys wait on each other instead of deadlocking. A claim is
// taken over only when the one held has expired at that item's own `now` (looked up in the input, never in
// a table: a subquery on a table would read the statement's snapshot, older than a concurrent commit).
const createBatch = rowsStatement(
  'flowdesk_create_runs',
  CREATE_SHAPE,
  (rows) => `
WITH input AS (${rows}
), claim AS (
  INSERT INTO dedupe AS d (flow_id, key_hash, run_id, expires_at)
  SELECT d_flow, d_key, id, d_expires FROM input WHERE d_key IS NOT NULL ORDER BY d_flow, d_key
  ON CONFLICT (flow_id, key_hash) DO UPDATE SET run_id = excluded.run_id, expires_at = excluded.expires_at
  WHERE d.expires_at <= (SELECT i.d_now FROM input i WHERE i.id = excluded.run_id)
  RETURNING run_id
), ins AS (
  INSERT INTO runs (${RUN_COLS})
  SELECT ${RUN_COLS} FROM input WHERE d_key IS NULL OR id IN (SELECT run_id FROM claim)
  RETURNING id
)
SELECT id FROM ins`,
);

const HELD = `
SELECT d.flow_id, d.key_hash, r.doc FROM dedupe d LEFT JOIN runs r ON r.id = d.run_id
WHERE (d.flow_id, d.key_hash) IN (SELECT f, k FROM unnest($1::text[], $2::text[]) AS u(f, k))`;

const saveBatch = rowsStatement(
  'flowdesk_save_runs',
  RUN_SHAPE,
  (rows) => `INSERT INTO runs (${RUN_COLS}) SELECT ${RUN_COLS} FROM (${rows}) AS x ON CONFLICT (id) DO UPDATE SET ${RUN_UPDATE_SET}`,
);

const putDocs = rowsStatement(
  'flowdesk_put_docs',
  rowShape([['collection', 'text'], ['id', 'text'], ['doc', 'json']]),
  (rows) => `INSERT INTO docs (collection, id, doc) SELECT collection, id, doc FROM (${rows}) AS x ON CONFLICT (collection, id) DO UPDATE SET doc = excluded.doc`,
);

// Not a prepared statement: after five runs PostgreSQL may switch a prepared statement to a generic plan,
// and for this row-constructor IN over unnest() it picked a hash join over the whole docs table (seen: 2 →
// 64 µs of execution per run, growing with the KPI facts stored). Planned each time, it probes the key.
const GET_DOCS = `
SELECT collection, id, doc FROM docs WHERE (collection, id) IN (SELECT c, i FROM unnest($1::text[], $2::text[]) AS u(c, i))`;

const putTimers = rowsStatement(
  'flowdesk_put_timers',
  rowShape([['id', 'text'], ['due_at', 'timestamptz'], ['doc', 'json']]),
  (rows) => `INSERT INTO timers (id, due_at, doc) SELECT id, due_at, doc FROM (${rows}) AS x ON CONFLICT (id) DO UPDATE SET due_at = excluded.due_at, doc = excluded.doc`,
);

const addRejected = rowsStatement(
  'flowdesk_add_rejected',
  rowShape([['id', 'text'], ['at', 'timestamptz'], ['flow_id', 'text'], ['doc', 'json']]),
  (rows) => `INSERT INTO rejected (id, at, flow_id, doc) SELECT id, at, flow_id, doc FROM (${rows}) AS x`,
);

/** The last item per key wins (later calls supersede earlier ones in the same batch); each caller waits for the batch. */
function lastPerKey<T>(items: T[], key: (t: T) => string): T[] {
  const m = new Map<string, T>();
  for (const t of items) {
    const k = key(t);
    m.delete(k); // keep arrival order of the last write
    m.set(k, t);
  }
  return [...m.values()];
}

const claimKey = (d: DedupeClaim) => `${d.flowId}\u0000${d.key}`;
const docKey = (c: string, id: string) => `${c}\u0000${id}`;

export interface HotPath {
  createRun(run: Run, dedupe?: DedupeClaim): Promise<CreateRunResult>;
  saveRun(run: Run): Promise<void>;
  getRun(id: string): Promise<Run | undefined>;
  putDoc<C extends DocCollection>(c: C, doc: DocCollections[C]): Promise<void>;
  getDoc<C extends DocCollection>(c: C, id: string): Promise<DocCollections[C] | undefined>;
  putTimer(t: Timer): Promise<void>;
  deleteTimer(id: string): Promise<void>;
  addRejected(e: RejectedEvent): Promise<void>;
  /** settles once nothing is queued or in flight */
  idle(): Promise<void>;
  stats(): Record<string, BatcherStats>;
}

export function createHotPath(deps: HotPathDeps): HotPath {
  const { query, instanceId } = deps;
  const opts = { retryable: retryablePgError, fatal: unavailablePgError };

  const creates = new Batcher<{ run: Run; dedupe?: DedupeClaim }, CreateRunResult>({
    ...opts,
    maxBatch: MAX_ROWS,
    async run(items) {
      // a key twice in one batch: the first goes to the database, the others are its duplicates
      const firstOfKey = new Map<string, number>();
      const firsts: number[] = [];
      items.forEach((it, i) => {
        if (!it.dedupe) return void firsts.push(i);
        const k = claimKey(it.dedupe);
        if (firstOfKey.has(k)) return;
        firstOfKey.set(k, i);
        firsts.push(i);
      });
      const rows = firsts.map((i) => {
        const { run, dedupe } = items[i]!;
        const values = runParams(run, instanceId);
        // the claim's key is the run's idempotency key on every admission path: hash it once
        const dKey = !dedupe ? null : dedupe.key === run.idempotencyKey ? values[KEY_HASH_AT] : keyHash(dedupe.key);
        return [...values, dedupe?.flowId ?? null, dKey, dedupe?.expiresAt ?? null, dedupe?.now ?? null];
      });
      const out: (CreateRunResult | undefined)[] = new Array(items.length);
      const st = createBatch(rows);
      const created = new Set((await query<{ id: string }>(st.text, st.values, st.name)).rows.map((r) => r.id));
      const refused: number[] = [];
      for (const i of firsts) {
        const { run } = items[i]!;
        // the caller's own object, as the embedded store answers (it was serialised above)
        if (created.has(run.id)) out[i] = { run, duplicate: false };
        else refused.push(i);
      }
      // a live claim held (and committed) by another run: answer with that run as stored now
      if (refused.length) {
        // unnamed on purpose (as GET_DOCS): planned with the arrays it is given each time
        const held = await query<{ flow_id: string; key_hash: string; doc: Run | null }>(HELD, [
          refused.map((i) => items[i]!.dedupe!.flowId),
          refused.map((i) => keyHash(items[i]!.dedupe!.key)),
        ]);
        const byKey = new Map(held.rows.map((r) => [`${r.flow_id}\u0000${r.key_hash}`, r.doc]));
        for (const i of refused) {
          const doc = byKey.get(`${items[i]!.dedupe!.flowId}\u0000${keyHash(items[i]!.dedupe!.key)}`);
          // the claim's run is gone (pruned), or the claim itself: the careful one-at-a-time path
          out[i] = doc ? { run: doc, duplicate: true } : await deps.createRunOne(items[i]!.run, items[i]!.dedupe);
        }
      }
      // the later occurrences of a key in this batch: duplicates of whatever holds it now
      items.forEach((it, i) => {
        if (out[i] || !it.dedupe) return;
        const first = out[firstOfKey.get(claimKey(it.dedupe))!]!;
        out[i] = { run: structuredClone(first.run), duplicate: true };
      });
      return out as CreateRunResult[];
    },
  });

  /** A write batch: the last write per key of each item, one statement. */
  const writes = <T>(statement: ReturnType<typeof rowsStatement>, row: (t: T) => unknown[], key: (t: T) => string) =>
    new Batcher<T, void>({
      ...opts,
      maxBatch: MAX_ROWS,
      async run(items) {
        const st = statement(lastPerKey(items, key).map(row));
        await query(st.text, st.values, st.name);
        return items.map(() => undefined);
      },
    });

  const saves = writes<Run>(saveBatch, (r) => runParams(r, instanceId), (r) => r.id);
  const docWrites = writes<{ c: DocCollection; doc: { id: string } }>(putDocs, (x) => [x.c, x.doc.id, JSON.stringify(x.doc)], (x) => docKey(x.c, x.doc.id));
  const timerWrites = writes<Timer>(putTimers, (t) => [t.id, t.dueAt, JSON.stringify(t)], (t) => t.id);
  // every rejected event is its own row (random ids): nothing to fold
  let seq = 0;
  const rejections = writes<RejectedEvent>(addRejected, (e) => [e.id, e.at, e.flowId ?? null, JSON.stringify(e)], () => String(seq++));

  const reads = new Batcher<string, Run | undefined>({
    ...opts,
    async run(ids) {
      const { rows } = await query<{ id: string; doc: Run }>('SELECT id, doc FROM runs WHERE id = ANY($1::text[])', [[...new Set(ids)]], 'flowdesk_get_runs');
      const byId = new Map(rows.map((r) => [r.id, r.doc]));
      const given = new Set<string>();
      // every caller gets a document of its own
      return ids.map((id) => {
        const doc = byId.get(id);
        if (!doc) return undefined;
        if (given.has(id)) return structuredClone(doc);
        given.add(id);
        return doc;
      });
    },
  });

  const docReads = new Batcher<{ c: DocCollection; id: string }, unknown>({
    ...opts,
    async run(items) {
      const { rows } = await query<{ collection: string; id: string; doc: unknown }>(GET_DOCS, [items.map((x) => x.c), items.map((x) => x.id)]);
      const byKey = new Map(rows.map((r) => [docKey(r.collection, r.id), r.doc]));
      const given = new Set<string>();
      return items.map((x) => {
        const k = docKey(x.c, x.id);
        const doc = byKey.get(k);
        if (doc === undefined) return undefined;
        if (given.has(k)) return structuredClone(doc);
        given.add(k);
        return doc;
      });
    },
  });

  const timerDeletes = new Batcher<string, void>({
    ...opts,
    async run(ids) {
      await query('DELETE FROM timers WHERE id = ANY($1::text[])', [[...new Set(ids)]], 'flowdesk_delete_timers');
      return ids.map(() => undefined);
    },
  });

  const all = { creates, saves, reads, docWrites, docReads, timerWrites, timerDeletes, rejections };
  return {
    createRun: (run, dedupe) => creates.push({ run, dedupe }),
    saveRun: (run) => saves.push(run),
    getRun: (id) => reads.push(id),
    putDoc: (c, doc) => docWrites.push({ c, doc }),
    getDoc: <C extends DocCollection>(c: C, id: string) => docReads.push({ c, id }) as Promise<DocCollections[C] | undefined>,
    putTimer: (t) => timerWrites.push(t),
    deleteTimer: (id) => timerDeletes.push(id),
    addRejected: (e) => rejections.push(e),
    async idle() {
      await Promise.all(Object.values(all).map((b) => b.idle()));
    },
    stats: () => Object.fromEntries(Object.entries(all).map(([k, b]) => [k, { ...b.stats }])),
  };
}
