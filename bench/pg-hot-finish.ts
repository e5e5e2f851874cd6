// node --import tsx bench/pg-hot-finish.ts — a schema experiment behind issue 18's PostgreSQL figure: would a
// run's finishing UPDATE be cheaper as a HOT update (no index entries written)? Today it is never HOT:
// status, terminal and ended_at are in the runs indexes (pg-run-cost prints "runs HOT 0%"). The
// alternative keeps runs' indexes on columns a run never changes (fillfactor 60, room for the new
// version on the same page) and moves "which runs are open" to a narrow open_runs table, inserted at
// create and deleted at finish. Both are driven with the shape of the hot path's statements (25 runs
// per json_to_recordset batch, one commit per batch, create then finish) on a durable server, rounds
// interleaved; printed: the database backend's CPU µs per run (from /proc), wall µs per run, HOT share.
//   BENCH_RUNS (20000), BENCH_ROUNDS (2)
import type pg from 'pg';
import { envNum, isMain, loadAvg, machine, writeResult } from './lib.ts';
import { backendCpuUs, freshSchema, pgVariantRounds } from './pg-experiment.ts';

/** How each design is made from a fresh database: the store's own migrations, then (hot-finish) changes. */
export const DESIGNS: Record<string, string[]> = {
  today: [],
  'hot-finish': [
    'DROP INDEX runs_status_created, runs_open, runs_ended, runs_open_record',
    'ALTER TABLE runs SET (fillfactor = 60)',
    'CREATE TABLE open_runs (id text COLLATE "C" PRIMARY KEY, record_entity text, record_key_hash text, created_at timestamptz NOT NULL)',
    'CREATE INDEX open_runs_record ON open_runs (record_entity, record_key_hash, created_at, id) WHERE record_key_hash IS NOT NULL',
  ],
};

const BATCH = 25;
const DOC = JSON.stringify({ pad: 'x'.repeat(1250) }); // a lead run's document is ~1.3 KB

async function drive(c: pg.Client, design: string, runs: number, tag: string): Promise<{ design: string; dbCpuUsPerRun: number; wallUsPerRun: number; hotPct: number }> {
  const backend = await freshSchema(c);
  for (const sql of DESIGNS[design]!) await c.query(sql);
  const openSide = design === 'hot-finish';
  const cpu0 = backendCpuUs(backend);
  const t0 = performance.now();
  for (let i = 0; i < runs; i += BATCH) {
    const rows = Array.from({ length: BATCH }, (_, k) => {
      const key = `${tag}-${i + k}`.padEnd(43, 'k');
      return { id: `${tag}-${i + k}`, flow_id: 'bench-lead', status: 'running', terminal: false, idempotency_key_hash: key, record_entity: 'lead', record_key_hash: key, created_at: new Date().toISOString(), doc: DOC };
    });
    const created = JSON.stringify(rows);
    await c.query('BEGIN');
    await c.query(
      `INSERT INTO runs (id, flow_id, status, terminal, idempotency_key_hash, record_entity, record_key_hash, created_at, doc)
       SELECT id, flow_id, status, terminal, idempotency_key_hash, record_entity, record_key_hash, created_at, doc
       FROM json_to_recordset($1::json) AS x(id text, flow_id text, status text, terminal boolean, idempotency_key_hash text, record_entity text, record_key_hash text, created_at timestamptz, doc json)`,
      [created],
    );
    if (openSide) {
      await c.query(
        'INSERT INTO open_runs (id, record_entity, record_key_hash, created_at) SELECT id, record_entity, record_key_hash, created_at FROM json_to_recordset($1::json) AS x(id text, record_entity text, record_key_hash text, created_at timestamptz)',
        [created],
      );
    }
    await c.query('COMMIT');
    const finished = JSON.stringify(rows.map((r) => ({ id: r.id, status: 'succeeded', ended_at: new Date().toISOString(), doc: DOC })));
    await c.query('BEGIN');
    await c.query(
      'UPDATE runs r SET status = x.status, terminal = true, ended_at = x.ended_at, doc = x.doc FROM json_to_recordset($1::json) AS x(id text, status text, ended_at timestamptz, doc json) WHERE r.id = x.id',
      [finished],
    );
    if (openSide) await c.query('DELETE FROM open_runs o USING json_to_recordset($1::json) AS x(id text) WHERE o.id = x.id', [finished]);
    await c.query('COMMIT');
  }
  const wallUsPerRun = ((performance.now() - t0) * 1000) / runs;
  const dbCpuUsPerRun = backendCpuUs(backend, cpu0) / runs;
  // this backend's table statistics are flushed once it is idle (at most every second): ask for it now
  await c.query('SELECT pg_stat_force_next_flush()').catch(() => new Promise((ok) => setTimeout(ok, 11_000))); // before PostgreSQL 15: wait
  const st = (await c.query<{ upd: string; hot: string }>("SELECT n_tup_upd AS upd, n_tup_hot_upd AS hot FROM pg_stat_user_tables WHERE relname = 'runs'")).rows[0];
  return { design, dbCpuUsPerRun, wallUsPerRun, hotPct: st && Number(st.upd) > 0 ? (Number(st.hot) / Number(st.upd)) * 100 : 0 };
}

export async function runPgHotFinish(): Promise<{ machine: string; loadAvg: number; results: Awaited<ReturnType<typeof drive>>[] }> {
  const runs = envNum('BENCH_RUNS', 20_000);
  const results = await pgVariantRounds(Object.keys(DESIGNS), envNum('BENCH_ROUNDS', 2), (c, d, r) => drive(c, d, runs, `r${r}`));
  return { machine: machine(), loadAvg: loadAvg(), results };
}

if (isMain(import.meta.filename)) {
  const res = await runPgHotFinish();
  console.log(`\npg-hot-finish — ${res.machine}, load average ${res.loadAvg}, durable PostgreSQL, ${BATCH} runs per batch`);
  for (const r of res.results) console.log(`${r.design.padEnd(11)} database CPU ${r.dbCpuUsPerRun.toFixed(0).padStart(4)} µs/run   wall ${r.wallUsPerRun.toFixed(0).padStart(4)} µs/run   HOT updates ${r.hotPct.toFixed(0)}%`);
  console.log(`results: ${writeResult('pg-hot-finish', res)}`);
}
