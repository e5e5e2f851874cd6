// node --import tsx bench/pg-values-rows.ts — how the PostgreSQL hot path sends a batch's rows, measured
// on a durable server: the runs of a batch created, then finished (an upsert), 25 per statement, as
// (a) one json parameter expanded by json_to_recordset (the hot path until 2026-12-03), (b) a VALUES list of
// typed parameters prepared per exact batch size, (c) the same padded with NULL rows to a power of two
// (values-rows.ts, what the hot path does now), (d) VALUES unprepared (planned every time). Rounds
// interleaved; printed: the database backend's CPU µs per run (/proc), this process's, and wall µs per run.
//   BENCH_RUNS (20000), BENCH_ROUNDS (2)
import type pg from 'pg';
import type { Run } from '@flowdesk/schema';
import { envNum, isMain, loadAvg, machine, writeResult } from './lib.ts';
import { backendCpuUs, freshSchema, pgVariantRounds } from './pg-experiment.ts';
import { RUN_COLS, RUN_SHAPE, RUN_UPDATE_SET, runParams } from '../apps/runtime/src/store/postgres/run-row.ts';
import { rowsSource, rowsStatement } from '../apps/runtime/src/store/postgres/values-rows.ts';

const BATCH = 25;
const MODES = ['json_to_recordset', 'values', 'values-padded', 'values-unprepared'] as const;
type Mode = (typeof MODES)[number];

const lead = (id: string, status: Run['status'], endedAt?: string): Run =>
  ({
    id, flowId: 'bench-lead', flowVersion: 1, status, createdAt: new Date().toISOString(), ...(endedAt ? { endedAt } : {}),
    idempotencyKey: `${id}@example.com`, payload: { email: `${id}@example.com`, budget: 9000, note: 'x'.repeat(900) }, vars: { fit: 80 }, steps: [],
  }) as unknown as Run;

const DOC_AT = RUN_SHAPE.names.indexOf('doc');
const RECORD = RUN_SHAPE.names.map((n, i) => `${n} ${RUN_SHAPE.types[i]}`).join(', ');
const upsert = (source: string, create: boolean) => `INSERT INTO runs (${RUN_COLS}) SELECT ${RUN_COLS} FROM ${source}${create ? '' : ` ON CONFLICT (id) DO UPDATE SET ${RUN_UPDATE_SET}`}`;
const padded = { create: rowsStatement('padded_create', RUN_SHAPE, (s) => upsert(`(${s}) AS x`, true)), finish: rowsStatement('padded_finish', RUN_SHAPE, (s) => upsert(`(${s}) AS x`, false)) };

function statement(mode: Mode, runs: Run[], create: boolean): pg.QueryConfig {
  const phase = create ? 'create' : 'finish';
  if (mode === 'json_to_recordset') {
    const rows = runs.map((r) => {
      const values = runParams(r, 'bench');
      values[DOC_AT] = r; // nested, as the batch's JSON carried it (its client figure has one serialisation more)
      return JSON.stringify(Object.fromEntries(RUN_SHAPE.names.map((n, i) => [n, values[i]])));
    });
    return { name: `json_${phase}`, text: upsert(`json_to_recordset($1::json) AS x(${RECORD})`, create), values: [`[${rows.join(',')}]`] };
  }
  if (mode === 'values-padded') return padded[phase](runs.map((r) => runParams(r, 'bench')));
  const text = upsert(`(${rowsSource(RUN_SHAPE, runs.length)}) AS x`, create);
  return { ...(mode === 'values' ? { name: `values_${phase}_${runs.length}` } : {}), text, values: runs.flatMap((r) => runParams(r, 'bench')) };
}

async function drive(c: pg.Client, mode: Mode, runs: number, tag: string) {
  const backend = await freshSchema(c);
  const db0 = backendCpuUs(backend);
  const self0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < runs; i += BATCH) {
    const ids = Array.from({ length: BATCH }, (_, k) => `${tag}-${i + k}`);
    await c.query(statement(mode, ids.map((id) => lead(id, 'running')), true));
    await c.query(statement(mode, ids.map((id) => lead(id, 'succeeded', new Date().toISOString())), false));
  }
  const self = process.cpuUsage(self0);
  return { mode, dbCpuUsPerRun: backendCpuUs(backend, db0) / runs, clientCpuUsPerRun: (self.user + self.system) / runs, wallUsPerRun: ((performance.now() - t0) * 1000) / runs };
}

export async function runPgValuesRows() {
  const runs = envNum('BENCH_RUNS', 20_000);
  const results = await pgVariantRounds(MODES, envNum('BENCH_ROUNDS', 2), (c, m, r) => drive(c, m, runs, `r${r}`));
  return { machine: machine(), loadAvg: loadAvg(), results };
}

if (isMain(import.meta.filename)) {
  const res = await runPgValuesRows();
  console.log(`\npg-values-rows — ${res.machine}, load average ${res.loadAvg}, durable PostgreSQL, ${BATCH} runs per statement, create then finish`);
  for (const r of res.results) console.log(`${r.mode.padEnd(18)} database CPU ${r.dbCpuUsPerRun.toFixed(0).padStart(4)} µs/run   client CPU ${r.clientCpuUsPerRun.toFixed(0).padStart(4)} µs/run   wall ${r.wallUsPerRun.toFixed(0).padStart(4)} µs/run`);
  console.log(`results: ${writeResult('pg-values-rows', res)}`);
}
