// node --import tsx bench/latency-floor.ts — the machine's latency floor under the p99 target: plain
// node:http, a bare Express 5 route and Flowdesk (the bench lead flow, fsync on), each loaded by
// bench/lean-generator.ts in a process of its own, evenly paced at BENCH_RATES (200,1000)/s for
// BENCH_SECONDS (8), the three targets interleaved in BENCH_ROUNDS (3) rounds; p50/p99/max per target
// and rate, and their medians over the rounds. Embedded store (lowdb) or BENCH_BACKEND=postgres.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { backendFromEnv, isMain, type LoadResult, loadAvg, machine, medianNum, REPO, roundSettings, startChild, startFlowdesk, startReceiverProcess, writeResult } from './lib.ts';

export interface FloorRow {
  target: string;
  rate: number;
  rounds: LoadResult[];
  p50: number;
  p99: number;
  max: number;
}

const run = promisify(execFile);

async function lean(url: string, rate: number, seconds: number): Promise<LoadResult> {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', join(REPO, 'bench/lean-generator.ts'), url, String(rate), String(seconds)], { cwd: REPO });
  const r = JSON.parse(stdout.trim().split('\n').pop()!) as LoadResult;
  if (r.non2xx || r.errors || r.accepted !== Math.round(rate * seconds)) throw new Error(`${url} at ${rate}/s: ${JSON.stringify(r)}`);
  return r;
}

export async function measureLatencyFloor(): Promise<{ backend: string; machine: string; loadAvg: number; rows: FloorRow[] }> {
  const { seconds, rounds } = roundSettings();
  const rates = (process.env.BENCH_RATES ?? '200,1000').split(',').filter(Boolean).map(Number);
  const backend = await backendFromEnv();
  const receiver = await startReceiverProcess();
  const targets = [
    { name: 'node:http', server: await startChild('bench/baselines/node-http.ts') },
    { name: 'express 5', server: await startChild('bench/baselines/express.ts') },
    { name: 'flowdesk', server: await startFlowdesk({ receiverUrl: receiver.url, backend }) },
  ];
  const rows: FloorRow[] = [];
  try {
    for (const t of targets) await lean(t.server.url, 500, 2); // warm-up
    for (const rate of rates) {
      const byTarget = new Map<string, LoadResult[]>(targets.map((t) => [t.name, []]));
      for (let i = 0; i < rounds; i++) for (const t of targets) byTarget.get(t.name)!.push(await lean(t.server.url, rate, seconds));
      for (const [target, rs] of byTarget)
        rows.push({ target, rate, rounds: rs, p50: medianNum(rs.map((r) => r.p50)), p99: medianNum(rs.map((r) => r.p99)), max: medianNum(rs.map((r) => r.max)) });
    }
  } finally {
    for (const t of targets) await t.server.stop();
    await receiver.close();
    await backend.close();
  }
  return { backend: backend.name, machine: machine(), loadAvg: loadAvg(), rows };
}

if (isMain(import.meta.filename)) {
  const r = await measureLatencyFloor();
  console.log(`latency floor — ${r.backend} — ${r.machine}, load average ${r.loadAvg}; a lean generator in its own process, evenly paced`);
  console.log('target        rate/s   p50 ms   p99 ms   max ms   p99 per round   | from send: p50 ms  p99 ms | generator late: p50 ms  p99 ms');
  const f = (n: number | undefined) => (n ?? NaN).toFixed(1).padStart(8);
  const med = (x: FloorRow, pick: (y: LoadResult) => number | undefined) => medianNum(x.rounds.map((y) => pick(y) ?? NaN));
  for (const x of r.rows)
    console.log(
      `${x.target.padEnd(12)} ${String(x.rate).padStart(7)} ${f(x.p50)} ${f(x.p99)} ${f(x.max)}   ${x.rounds.map((y) => y.p99.toFixed(1)).join(', ').padEnd(14)}  | ${f(med(x, (y) => y.fromSend?.p50))}  ${f(med(x, (y) => y.fromSend?.p99))} | ${f(med(x, (y) => y.sendLate?.p50))}  ${f(med(x, (y) => y.sendLate?.p99))}`,
    );
  console.log(`results: ${writeResult(`latency-floor-${r.backend}`, r)}`);
  process.exit(0);
}
