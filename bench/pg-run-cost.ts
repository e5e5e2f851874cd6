// What one run costs the database, accept to done, in the real runtime on PostgreSQL (durable defaults):
// the bench lead flow at saturation for BENCH_SECONDS, drained, then per completed run — statements by
// kind (pg_stat_statements, preloaded on this bench's server only), commits, rows written, WAL bytes,
// records and full-page images, WAL flushes, and CPU µs in the runtime and in the database's processes
// (from /proc). Several bundles are measured interleaved, each on a fresh database of one server:
//   node --import tsx bench/pg-run-cost.ts [bundle.mjs …]   (default: this checkout's bundle)
//   BENCH_SECONDS (8), BENCH_ROUNDS (1), BENCH_CONNECTIONS (50), BENCH_TOP (14 statements listed),
//   BENCH_PG_TRANSPORTS (tcp): how the runtime reaches the server, `tcp` (127.0.0.1), `socket` (its
//   Unix socket) or both (`tcp,socket`, measured interleaved)
import { readdirSync } from 'node:fs';
import pg from 'pg';
import { drain, envNum, fmt, isMain, load, loadAvg, machine, procStat, startFlowdesk, startReceiverProcess, writeResult, type Backend } from './lib.ts';
import { startPostgres } from '../test/support/postgres.ts';

/** procStat, undefined once the process has gone (a backend may exit between listing and reading). */
function procStatIfAlive(pid: number): { ppid: number; cpuUs: number } | undefined {
  try {
    return procStat(pid);
  } catch {
    return undefined;
  }
}

/** CPU seconds of a process and its live children (the postmaster's backends, walwriter, checkpointer…). */
function treeCpu(root: number): number {
  let totalUs = procStatIfAlive(root)?.cpuUs ?? 0;
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    const p = procStatIfAlive(Number(d));
    if (p && p.ppid === root) totalUs += p.cpuUs;
  }
  return totalUs / 1e6;
}

/** A run document's bytes as JSON text and as stored (after TOAST compression, if any), and the runs' TOAST pages. */
async function docSizes(databaseUrl: string): Promise<Record<string, number>> {
  const c = new pg.Client(databaseUrl);
  await c.connect();
  try {
    const { rows } = await c.query<{ raw: string; stored: string; toast: string }>(
      `SELECT avg(octet_length(doc::text)) AS raw, avg(pg_column_size(doc)) AS stored,
         (SELECT pg_relation_size(reltoastrelid) FROM pg_class WHERE relname = 'runs') AS toast FROM runs`,
    );
    return { runDocJsonBytes: Number(rows[0].raw), runDocStoredBytes: Number(rows[0].stored), runsToastBytes: Number(rows[0].toast) };
  } finally {
    await c.end();
  }
}

interface Snap {
  commits: number;
  ins: number;
  upd: number;
  del: number;
  walBytes: number;
  walRecords: number;
  walFpi: number;
  walSync: number;
  db: number;
  rt: number;
}

export interface RunCost {
  entry: string;
  durability: string;
  loadAvg: number;
  acceptedPerSec: number;
  non2xx: number;
  completedPerSec: number;
  runs: number;
  perRun: Record<string, number>;
  statements: { query: string; perRun: number; rowsPerCall: number; msPerRun: number; planMsPerRun: number; plansPerCall: number }[];
}

export async function measureRunCost(entries: (string | undefined)[], rounds: number): Promise<RunCost[]> {
  const seconds = envNum('BENCH_SECONDS', 8);
  const connections = envNum('BENCH_CONNECTIONS', 50);
  const server = await startPostgres({ settings: 'durable', options: ['shared_preload_libraries=pg_stat_statements', 'pg_stat_statements.track=all', 'pg_stat_statements.track_planning=on'] });
  const admin = new pg.Client(server.url);
  await admin.connect();
  const backendPid = (await admin.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
  const postmaster = procStat(backendPid).ppid;
  const shown: string[] = [];
  for (const name of ['fsync', 'synchronous_commit', 'full_page_writes']) shown.push(`${name}=${(await admin.query<Record<string, string>>(`SHOW ${name}`)).rows[0]![name]}`);
  if (shown.some((x) => x.endsWith('=off'))) throw new Error(`not durable: ${shown.join(' ')}`);
  const durability = shown.join(' ');
  await admin.query('CREATE EXTENSION pg_stat_statements');
  let n = 0;
  let dbName = '';
  const backendVia = (transport: string): Backend => ({
    name: 'postgres',
    durability: `${durability}, via ${transport}`,
    async freshDatabase() {
      dbName = `cost_${process.pid}_${++n}`;
      await admin.query(`CREATE DATABASE ${dbName}`);
      return transport === 'tcp' ? server.urlFor(dbName) : server.socketUrlFor(dbName);
    },
    close: async () => {},
  });
  const transports = (process.env.BENCH_PG_TRANSPORTS ?? 'tcp').split(',').map((t) => t.trim());
  if (transports.some((t) => t !== 'tcp' && t !== 'socket')) throw new Error(`BENCH_PG_TRANSPORTS: tcp, socket or both, not ${process.env.BENCH_PG_TRANSPORTS}`);
  const receiver = await startReceiverProcess();
  const out: RunCost[] = [];
  try {
    for (let round = 0; round < rounds; round++) {
      for (const entry of entries) for (const transport of transports) {
        const backend = backendVia(transport);
        const rt = await startFlowdesk({ receiverUrl: receiver.url, backend, entry });
        try {
          await load(rt.url, { seconds: 2, connections, tag: 'warm' });
          await drain(rt.url);
          const snap = async (): Promise<Snap> => {
            const r = (
              await admin.query(
                `SELECT d.xact_commit AS commits, d.tup_inserted AS ins, d.tup_updated AS upd, d.tup_deleted AS del,
                   w.wal_bytes, w.wal_records, w.wal_fpi, w.wal_sync
                 FROM pg_stat_database d, pg_stat_wal w WHERE d.datname = $1`,
                [dbName],
              )
            ).rows[0] as Record<string, string>;
            return {
              commits: Number(r.commits), ins: Number(r.ins), upd: Number(r.upd), del: Number(r.del),
              walBytes: Number(r.wal_bytes), walRecords: Number(r.wal_records), walFpi: Number(r.wal_fpi), walSync: Number(r.wal_sync),
              db: treeCpu(postmaster), rt: procStat(rt.pid).cpuUs / 1e6,
            };
          };
          const hotUpd = async () => {
            const c = new pg.Client(rt.databaseUrl!);
            await c.connect();
            try {
              const { rows } = await c.query<{ relname: string; upd: string; hot: string }>('SELECT relname, n_tup_upd AS upd, n_tup_hot_upd AS hot FROM pg_stat_user_tables');
              return Object.fromEntries(rows.map((r) => [r.relname, { upd: Number(r.upd), hot: Number(r.hot) }]));
            } finally {
              await c.end();
            }
          };
          await admin.query('SELECT pg_stat_statements_reset()');
          await new Promise((r) => setTimeout(r, 600)); // stats reach the shared counters
          const la = loadAvg();
          const h0 = await hotUpd();
          const before = await snap();
          const t0 = performance.now();
          const res = await load(rt.url, { seconds, connections, tag: `cost${round}` });
          await drain(rt.url);
          const terminalS = (performance.now() - t0) / 1000;
          await new Promise((r) => setTimeout(r, 600));
          const after = await snap();
          const h1 = await hotUpd();
          const sizes = await docSizes(rt.databaseUrl!);
          const runs = res.accepted;
          const per = (a: number, b: number) => (a - b) / runs;
          const hotRuns = (h1.runs?.hot ?? 0) - (h0.runs?.hot ?? 0);
          const updRuns = (h1.runs?.upd ?? 0) - (h0.runs?.upd ?? 0);
          const st = (
            await admin.query<{ query: string; calls: string; rows: string; ms: number; plan: number; plans: string }>(
              `SELECT query, calls, rows, total_exec_time AS ms, total_plan_time AS plan, plans FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
               WHERE d.datname = $1 AND toplevel ORDER BY calls DESC`,
              [dbName],
            )
          ).rows;
          const statements = st.map((s) => ({
            query: s.query.replace(/\s+/g, ' ').trim(),
            perRun: Number(s.calls) / runs,
            rowsPerCall: Number(s.rows) / Math.max(1, Number(s.calls)),
            msPerRun: s.ms / runs,
            planMsPerRun: s.plan / runs,
            plansPerCall: Number(s.plans) / Math.max(1, Number(s.calls)),
          }));
          out.push({
            entry: entry ?? 'this checkout',
            durability: backend.durability,
            loadAvg: la,
            acceptedPerSec: res.acceptedPerSec,
            non2xx: res.non2xx,
            completedPerSec: runs / terminalS,
            runs,
            perRun: {
              statements: statements.reduce((a, s) => a + s.perRun, 0),
              commits: per(after.commits, before.commits),
              rowsInserted: per(after.ins, before.ins),
              rowsUpdated: per(after.upd, before.upd),
              runsHotUpdatePct: updRuns ? (hotRuns / updRuns) * 100 : 0,
              rowsDeleted: per(after.del, before.del),
              walBytes: per(after.walBytes, before.walBytes),
              walRecords: per(after.walRecords, before.walRecords),
              walFpi: per(after.walFpi, before.walFpi),
              walFlushes: per(after.walSync, before.walSync),
              runtimeCpuUs: per(after.rt, before.rt) * 1e6,
              dbCpuUs: per(after.db, before.db) * 1e6,
              dbExecMs: statements.reduce((a, s) => a + s.msPerRun, 0),
              dbPlanMs: statements.reduce((a, s) => a + s.planMsPerRun, 0),
              ...sizes,
            },
            statements,
          });
          print(out.at(-1)!);
        } finally {
          await rt.stop();
        }
      }
    }
  } finally {
    await receiver.close();
    await admin.end();
    await server.stop();
  }
  return out;
}

function print(c: RunCost): void {
  const p = c.perRun;
  console.log(
    `\n${c.entry} — ${c.durability}, load average ${c.loadAvg}: ${fmt(c.acceptedPerSec, 0)} accepted/s (${c.non2xx} non-2xx), ${fmt(c.completedPerSec, 0)} completed runs/s (${c.runs} runs, to all terminal)`,
  );
  console.log(
    `per run: ${p.statements!.toFixed(2)} statements, ${p.commits!.toFixed(2)} commits, rows ins/upd/del ${p.rowsInserted!.toFixed(2)}/${p.rowsUpdated!.toFixed(2)}/${p.rowsDeleted!.toFixed(2)} (runs HOT ${p.runsHotUpdatePct!.toFixed(0)}%), ` +
      `WAL ${fmt(p.walBytes, 0)} B in ${p.walRecords!.toFixed(1)} records, ${p.walFpi!.toFixed(2)} FPI, ${p.walFlushes!.toFixed(3)} flushes; CPU runtime ${fmt(p.runtimeCpuUs, 0)} µs, database ${fmt(p.dbCpuUs, 0)} µs (executing ${(p.dbExecMs! * 1000).toFixed(0)} µs, planning ${(p.dbPlanMs! * 1000).toFixed(0)} µs)`,
  );
  console.log(`run document: ${fmt(p.runDocJsonBytes, 0)} B as JSON, ${fmt(p.runDocStoredBytes, 0)} B stored; runs' TOAST ${fmt(p.runsToastBytes, 0)} B`);
  for (const s of c.statements.slice(0, envNum('BENCH_TOP', 14)))
    console.log(`  ${s.perRun.toFixed(3).padStart(7)}/run ${s.rowsPerCall.toFixed(1).padStart(6)} rows/call ${(s.msPerRun * 1000).toFixed(0).padStart(5)} µs/run exec ${(s.planMsPerRun * 1000).toFixed(0).padStart(4)} µs/run plan  ${s.query.slice(0, 150)}`);
}

if (isMain(import.meta.filename)) {
  const entries = process.argv.slice(2);
  console.log(`pg-run-cost — ${machine()}`);
  const r = await measureRunCost(entries.length ? entries : [undefined], envNum('BENCH_ROUNDS', 1));
  console.log(`results: ${writeResult('pg-run-cost', r)}`);
}
