// The PostgreSQL write path, measured alone: what one event costs the store — the calls the runtime makes
// for the bench lead flow (accept with a dedupe claim, read the run, save it finished, drop its timer,
// look for a dead letter, write the KPI fact) — at N concurrent events, on a server with PostgreSQL's
// durable defaults. Prints events/s, accept latency, and per event: statements, commits, WAL bytes and
// flushes, and CPU in this process and in the database's processes (read from /proc): the per-event cost
// docs/scaling.md reads the bottleneck from.
//   node --import tsx bench/store-postgres.ts [--concurrency 64] [--seconds 8]
import { readFileSync, readdirSync } from 'node:fs';
import pg from 'pg';
import type { Run } from '@flowdesk/schema';
import { createPostgresStore } from '../apps/runtime/src/store/postgres/index.ts';
import { startPostgres } from '../test/support/postgres.ts';
import { closedLoop, fmt, isMain, loadAvg, machine, writeResult } from './lib.ts';

const TICKS = 100; // USER_HZ on Linux

/** utime + stime in seconds of a process and all its children that are alive now. */
function treeCpuSeconds(rootPid: number): number {
  const stat = (pid: number) => {
    try {
      const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
      return { ppid: Number(f[1]), cpu: (Number(f[11]) + Number(f[12])) / TICKS };
    } catch {
      return undefined;
    }
  };
  let total = stat(rootPid)?.cpu ?? 0;
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    const st = stat(Number(d));
    if (st && st.ppid === rootPid) total += st.cpu;
  }
  return total;
}

let seq = 0;
function leadRun(): Run {
  const n = ++seq;
  const t = new Date(Date.UTC(2030, 0, 1) + n).toISOString();
  const email = `u${n}-${process.pid}@example.com`;
  return {
    id: `run_${n.toString(36).padStart(10, '0')}_${Math.random().toString(36).slice(2, 10)}`,
    flowId: 'bench-lead',
    flowVersion: 1,
    status: 'queued',
    idempotencyKey: email,
    trigger: { type: 'webhook', path: 'lead' },
    payload: { email, budget: 9000 },
    headers: { 'content-type': 'application/json', 'user-agent': 'autocannon' },
    vars: {},
    cursor: 'score',
    steps: [],
    createdAt: t,
    startedAt: t,
    updatedAt: t,
  } as Run;
}

const finished = (run: Run): Run =>
  ({
    ...run,
    status: 'succeeded',
    cursor: null,
    vars: { fit: 80 },
    endedAt: run.createdAt,
    steps: [
      { nodeId: 'score', status: 'succeeded', attempts: [], output: { fit: 80 }, port: 'out', startedAt: run.createdAt, endedAt: run.createdAt },
      { nodeId: 'route', status: 'succeeded', attempts: [], output: { port: 'fast', rule: 0 }, port: 'fast', startedAt: run.createdAt, endedAt: run.createdAt },
      { nodeId: 'notify', status: 'succeeded', attempts: [{ at: run.createdAt, status: 200, durationMs: 2 }], output: { status: 200, body: { ok: true } }, port: 'ok', startedAt: run.createdAt, endedAt: run.createdAt },
      { nodeId: 'fast-end', status: 'succeeded', attempts: [], startedAt: run.createdAt, endedAt: run.createdAt },
    ],
  }) as Run;

export interface StorePostgresResult {
  machine: string;
  loadAvg: number;
  durability: string;
  concurrency: number;
  seconds: number;
  events: number;
  eventsPerSec: number;
  acceptP50Ms: number;
  acceptP99Ms: number;
  perEvent: { statements: number; commits: number; walBytes: number; walFlushes: number; nodeCpuUs: number; dbCpuUs: number };
  batches: Record<string, { batches: number; items: number; largest: number }>;
}

export async function runStorePostgres(o: { concurrency?: number; seconds?: number } = {}): Promise<StorePostgresResult> {
  const concurrency = o.concurrency ?? 64;
  const seconds = o.seconds ?? 8;
  const server = await startPostgres({ settings: 'durable' } as never);
  const admin = new pg.Client(server.url);
  await admin.connect();
  try {
    const durability = (await Promise.all(['fsync', 'synchronous_commit', 'full_page_writes'].map(async (n) => `${n}=${(await admin.query<Record<string, string>>(`SHOW ${n}`)).rows[0]![n]}`))).join(' ');
    const backendPid = (await admin.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
    const postmaster = Number(readFileSync(`/proc/${backendPid}/stat`, 'utf8').split(') ')[1]!.split(' ')[1]);
    const store = createPostgresStore({ url: server.url, reconcileMs: 60_000 });
    await store.open();
    const snapshot = async () => {
      const db = (await admin.query<{ commits: string; lsn: string; syncs: string }>(
        "SELECT xact_commit AS commits, pg_current_wal_lsn()::text AS lsn, (SELECT wal_sync FROM pg_stat_wal) AS syncs FROM pg_stat_database WHERE datname = current_database()",
      )).rows[0]!;
      const lsn = db.lsn.split('/').reduce((a, h) => a * 2 ** 32 + parseInt(h, 16), 0);
      return { commits: Number(db.commits), lsn, syncs: Number(db.syncs), node: process.cpuUsage(), dbCpu: treeCpuSeconds(postmaster), stats: store.groupCommitStats() };
    };
    const event = async (lat: number[]) => {
      const run = leadRun();
      const t0 = performance.now();
      await store.createRun(run, { flowId: run.flowId, key: run.idempotencyKey!, now: run.createdAt, expiresAt: new Date(Date.parse(run.createdAt) + 86_400_000).toISOString() });
      lat.push(performance.now() - t0);
      await store.getRun(run.id);
      const done = finished(run);
      await store.saveRun(done);
      await store.deleteTimer(`run:${run.id}`);
      await store.getDoc('deadLetters', run.id);
      await store.putDoc('kpiFacts', { id: `run:${run.id}`, kind: 'run', flowId: run.flowId, status: 'succeeded', createdAt: run.createdAt, endedAt: run.createdAt });
    };
    // warm up
    await Promise.all(Array.from({ length: concurrency }, () => event([])));
    await new Promise((r) => setTimeout(r, 500));
    const before = await snapshot();
    const lat: number[] = [];
    const t0 = performance.now();
    const events = await closedLoop(concurrency, seconds, () => event(lat));
    const elapsed = (performance.now() - t0) / 1000;
    const after = await snapshot();
    lat.sort((a, b) => a - b);
    const nodeCpu = process.cpuUsage(before.node);
    const batches = Object.fromEntries(
      Object.entries(after.stats).map(([k, v]) => [k, { batches: v.batches - (before.stats[k]?.batches ?? 0), items: v.items - (before.stats[k]?.items ?? 0), largest: v.largest }]),
    );
    const statements = Object.values(batches).reduce((a, b) => a + b.batches, 0);
    await store.close();
    return {
      machine: machine(),
      loadAvg: loadAvg(),
      durability,
      concurrency,
      seconds: elapsed,
      events,
      eventsPerSec: events / elapsed,
      acceptP50Ms: lat[Math.floor(lat.length / 2)] ?? NaN,
      acceptP99Ms: lat[Math.floor(lat.length * 0.99)] ?? NaN,
      perEvent: {
        statements: statements / events,
        commits: (after.commits - before.commits) / events,
        walBytes: (after.lsn - before.lsn) / events,
        walFlushes: (after.syncs - before.syncs) / events,
        nodeCpuUs: ((nodeCpu.user + nodeCpu.system) / events),
        dbCpuUs: ((after.dbCpu - before.dbCpu) * 1e6) / events,
      },
      batches,
    };
  } finally {
    await admin.end();
    await server.stop();
  }
}

export function printStorePostgres(r: StorePostgresResult): void {
  console.log(`\nstore-postgres — the store's calls for one event, ${r.concurrency} events at once, ${r.durability}; ${r.machine}, load average ${r.loadAvg}`);
  console.log(`${fmt(r.eventsPerSec, 0)} events/s (${r.events} in ${r.seconds.toFixed(1)} s); accept (createRun) p50 ${fmt(r.acceptP50Ms, 0, 2)} ms, p99 ${fmt(r.acceptP99Ms, 0, 2)} ms`);
  const p = r.perEvent;
  console.log(
    `per event: ${p.statements.toFixed(2)} statements, ${p.commits.toFixed(2)} commits, ${p.walFlushes.toFixed(3)} WAL flushes, ${fmt(p.walBytes, 0)} WAL bytes, ` +
      `CPU ${fmt(p.nodeCpuUs, 0)} µs here + ${fmt(p.dbCpuUs, 0)} µs in PostgreSQL`,
  );
  console.log(`batches: ${Object.entries(r.batches).map(([k, b]) => `${k} ${b.items}/${b.batches} (max ${b.largest})`).join(', ')}`);
}

if (isMain(import.meta.filename)) {
  const args = new Map<string, string>();
  for (let i = 2; i < process.argv.length; i += 2) args.set(process.argv[i]!.replace(/^--/, ''), process.argv[i + 1]!);
  const r = await runStorePostgres({ concurrency: args.has('concurrency') ? Number(args.get('concurrency')) : undefined, seconds: args.has('seconds') ? Number(args.get('seconds')) : undefined });
  printStorePostgres(r);
  console.log(`results: ${writeResult('store-postgres', r)}`);
}
