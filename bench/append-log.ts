// node --import tsx bench/append-log.ts — the embedded store's group commit alone (AppendLog, fsync on,
// real files), pipelined (batch N+1 written while N's fdatasync runs, depth 2) against one batch at a
// time (depth 1), interleaved in rounds: appends of ~700 bytes evenly paced at BENCH_RATE (1000)/s
// (latency from each append's scheduled time to its acknowledgement) and closed-loop saturation with
// BENCH_CONCURRENCY (64) appenders (acknowledged appends/s, fdatasyncs per second).
//   BENCH_ROUNDS (3), BENCH_SECONDS (5), BENCH_DEPTHS (1,2), BENCH_FSYNC_DIR (os.tmpdir()).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppendLog, newStats } from '../apps/runtime/src/store/lowdb/append-log.ts';
import { closedLoop, envList, envNum, fmt, isMain, loadAvg, machine, medianNum, writeResult } from './lib.ts';

const LINE = Buffer.from(`${JSON.stringify({ h: { id: 'x'.repeat(36) }, d: { payload: 'y'.repeat(600) } })}\n`);

interface Point {
  depth: number;
  p50: number;
  p99: number;
  max: number;
  satPerSec: number;
  fsyncsPerSec: number;
}

async function withLog<T>(depth: number, f: (log: AppendLog, stats: ReturnType<typeof newStats>) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(process.env.BENCH_FSYNC_DIR ?? tmpdir(), 'flowdesk-append-bench-'));
  const stats = newStats();
  const log = new AppendLog(join(dir, 'log.jsonl'), 0, { fsync: true, stats, created: true, pipelineDepth: depth });
  try {
    return await f(log, stats);
  } finally {
    await log.close();
    await rm(dir, { recursive: true, force: true });
  }
}

async function pacedRun(depth: number, rate: number, seconds: number): Promise<{ p50: number; p99: number; max: number }> {
  return withLog(depth, async (log) => {
    const total = rate * seconds;
    const lat: number[] = [];
    const start = performance.now();
    let sent = 0;
    const pending: Promise<void>[] = [];
    await new Promise<void>((finish) => {
      const tick = () => {
        const due = Math.min(total, Math.floor(((performance.now() - start) / 1000) * rate) + 1);
        while (sent < due) {
          const at = start + (sent++ / rate) * 1000;
          pending.push(log.append(LINE).done.then(() => void lat.push(performance.now() - at)));
        }
        if (sent < total) setTimeout(tick, 1);
        else finish();
      };
      tick();
    });
    await Promise.all(pending);
    lat.sort((a, b) => a - b);
    return { p50: lat[Math.floor(lat.length / 2)]!, p99: lat[Math.floor(lat.length * 0.99)]!, max: lat[lat.length - 1]! };
  });
}

async function saturated(depth: number, concurrency: number, seconds: number): Promise<{ perSec: number; fsyncsPerSec: number }> {
  return withLog(depth, async (log, stats) => {
    const n = await closedLoop(concurrency, seconds, () => log.append(LINE).done);
    return { perSec: n / seconds, fsyncsPerSec: stats.fsyncs / seconds };
  });
}

if (isMain(import.meta.filename)) {
  const rounds = envNum('BENCH_ROUNDS', 3);
  const seconds = envNum('BENCH_SECONDS', 5);
  const rate = envNum('BENCH_RATE', 1000);
  const concurrency = envNum('BENCH_CONCURRENCY', 64);
  const depths = envList('BENCH_DEPTHS', '1,2');
  const points: Point[] = [];
  const loads: number[] = [];
  for (let r = 0; r < rounds; r++) {
    loads.push(loadAvg());
    for (const depth of r % 2 ? [...depths].reverse() : depths) {
      const p = await pacedRun(depth, rate, seconds);
      const s = await saturated(depth, concurrency, seconds);
      points.push({ depth, ...p, satPerSec: s.perSec, fsyncsPerSec: s.fsyncsPerSec });
    }
  }
  console.log(`\nAppendLog group commit — ${machine()}, load average ${loads.join(', ')}, ${LINE.length} B per append, fsync on`);
  console.log(`depth   p50 ms @${rate}/s   p99 ms   max ms   saturated appends/s (${concurrency} appenders)   fdatasyncs/s`);
  for (const p of points) console.log(`${fmt(p.depth, 5)}  ${fmt(p.p50, 14, 2)}  ${fmt(p.p99, 7, 2)}  ${fmt(p.max, 7, 1)}  ${fmt(p.satPerSec, 38)}  ${fmt(p.fsyncsPerSec, 13)}`);
  const summary = depths.map((depth) => {
    const ps = points.filter((p) => p.depth === depth);
    return { depth, p50: medianNum(ps.map((p) => p.p50)), p99: medianNum(ps.map((p) => p.p99)), satPerSec: medianNum(ps.map((p) => p.satPerSec)) };
  });
  for (const s of summary) console.log(`depth ${s.depth}: median p50 ${s.p50.toFixed(2)} ms, p99 ${s.p99.toFixed(2)} ms, saturated ${s.satPerSec.toFixed(0)} appends/s`);
  console.log(`results: ${writeResult('append-log', { machine: machine(), loads, rate, concurrency, seconds, points, summary })}`);
}
