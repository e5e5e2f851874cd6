// npm run bench:growth — saturation ingest on the lead flow with an empty store and with 10k and 100k
// finished runs (plus 10k records) already stored, seeded through the Store. The target: the 100k-run
// rate at least 90% of the empty one (finished runs cost nothing on the hot path).
//   BENCH_SECONDS (8), BENCH_HISTORY (0,10000,100000) finished runs, BENCH_RECORDS (10000) records
//   seeded with every non-empty history, BENCH_ROUNDS (3): turns over all cases (the median is kept),
//   BENCH_CONNECTIONS (50), BENCH_BACKEND (lowdb | postgres)
import { backendFromEnv, drain, envList, envNum, fmt, isMain, load, loadAvg, machine, median, medianNum, pct, startFlowdesk, startReceiverProcess, writeResult, type Backend, type Runtime } from './lib.ts';
import { measurePoint, type RatePoint } from './rates.ts';

export interface GrowthCase extends RatePoint {
  history: number;
  records: number;
  seedS: number;
  /** seconds from spawning the runtime until it listened */
  startS: number;
  samples: number[];
}

export interface GrowthResult {
  backend: string;
  /** the backend's durability settings, as reported by it */
  durability: string;
  machine: string;
  loadAvg: number;
  seconds: number;
  cases: GrowthCase[];
  /** per round: rate with the largest history / empty rate, in % */
  perRoundPct: number[];
  /** the median of perRoundPct */
  ratioPct: number;
}

export async function runGrowth(backend: Backend, o: { seconds?: number; history?: number[]; records?: number; rounds?: number; connections?: number } = {}): Promise<GrowthResult> {
  const seconds = o.seconds ?? envNum('BENCH_SECONDS', 8);
  const history = o.history ?? envList('BENCH_HISTORY', '0,10000,100000');
  const records = o.records ?? envNum('BENCH_RECORDS', 10_000);
  const rounds = Math.max(1, o.rounds ?? envNum('BENCH_ROUNDS', 3));
  const connections = o.connections ?? envNum('BENCH_CONNECTIONS', 50);
  const receiver = await startReceiverProcess();
  const rts: { h: number; recs: number; seedS: number; rt: Runtime; points: RatePoint[] }[] = [];
  try {
    // every case's runtime up first, then the cases measured in turns, so that other load on the
    // machine falls on all of them alike
    for (const h of history) {
      const recs = h === 0 ? 0 : records;
      const t0 = performance.now();
      const rt = await startFlowdesk({ receiverUrl: receiver.url, backend, history: h, records: recs });
      rts.push({ h, recs, seedS: (performance.now() - t0) / 1000 - rt.startS, rt, points: [] });
    }
    for (const c of rts) {
      await load(c.rt.url, { seconds: 2, connections, tag: 'warmup' });
      await drain(c.rt.url);
    }
    for (let i = 0; i < rounds; i++) for (const c of rts) c.points.push(await measurePoint(c.rt.url, { seconds, connections, tag: `g${c.h}-${i}` }));
  } finally {
    for (const c of rts) await c.rt.stop();
    await receiver.close();
  }
  const cases: GrowthCase[] = rts.map((c) => ({
    ...median(c.points, (p) => p.acceptedPerSec),
    history: c.h,
    records: c.recs,
    seedS: c.seedS,
    startS: c.rt.startS,
    samples: c.points.map((p) => Math.round(p.acceptedPerSec)),
  }));
  const empty = rts.find((c) => c.h === 0);
  const largest = rts.reduce<(typeof rts)[number] | undefined>((m, c) => (!m || c.h > m.h ? c : m), undefined);
  // per round: the largest history's rate over the empty store's, measured next to each other
  const perRound = empty && largest ? empty.points.map((p, i) => pct(largest.points[i]!.acceptedPerSec, p.acceptedPerSec)) : [];
  return {
    backend: backend.name,
        durability: backend.durability,
    machine: machine(),
    loadAvg: loadAvg(),
    seconds,
    cases,
    perRoundPct: perRound,
    ratioPct: perRound.length ? medianNum(perRound) : NaN,
  };
}

export function printGrowth(r: GrowthResult): void {
  console.log(`\ngrowth — ${r.backend} — ${r.machine}, load average ${r.loadAvg}, ${r.seconds}s per measurement at saturation, ${r.durability}`);
  console.log('finished runs  records  seed s  start s  accepted/s  vs empty   p50 ms   p99 ms   max ms  done runs/s  drain s  non-2xx');
  const empty = r.cases.find((c) => c.history === 0);
  for (const c of r.cases) {
    console.log(
      `${fmt(c.history, 13)}  ${fmt(c.records, 7)}  ${fmt(c.seedS, 6, 1)}  ${fmt(c.startS, 7, 1)}  ${fmt(c.acceptedPerSec, 10)}  ${fmt(empty ? pct(c.acceptedPerSec, empty.acceptedPerSec) : NaN, 7)}%  ${fmt(c.p50)}  ${fmt(c.p99)}  ${fmt(c.max)}  ${fmt(c.completedPerSec, 11)}  ${fmt(c.drainS, 7, 1)}  ${fmt(c.non2xx + c.errors, 7)}`,
    );
  }
  console.log(`samples (accepted/s per round): ${r.cases.map((c) => `${c.history}: ${c.samples.join(' ')}`).join('; ')}`);
  console.log(`\nrate with the largest history / empty = ${r.ratioPct.toFixed(0)}% (median of rounds ${r.perRoundPct.map((x) => `${x.toFixed(0)}%`).join(', ')}; target ≥ 90%)`);
}

if (isMain(import.meta.filename)) {
  const backend = await backendFromEnv();
  try {
    const r = await runGrowth(backend);
    printGrowth(r);
    console.log(`results: ${writeResult(backend.name === 'lowdb' ? 'growth' : `growth-${backend.name}`, r)}`);
  } finally {
    await backend.close();
  }
}
