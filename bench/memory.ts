// npm run bench:memory — pushes N runs (default 100,000) through the runtime (a child process, the lead
// flow, fsync on) and reads the runtime's resident set size (VmRSS from /proc/<pid>/status) before, right
// after every run is terminal, and after a short settle; finished runs must not stay in memory.
// Target (issue 18): RSS ≤ 200 MB after 100k runs. The runtime runs with npm start's environment (RUNTIME_ENV).
// "Settled" is read BENCH_SETTLE_S after the last run ended: long enough for the runtime's idle collection
// (idle-collection.ts: 5 s of a quiet loop; V8's own memory reducer often did not collect within 20 s, and
// the heap-growing factor lets garbage pile up while busy); the reading 5 s after and the peak (VmHWM)
// are printed beside it.
//   BENCH_RUNS (100000), BENCH_CONNECTIONS (50), BENCH_SETTLE_S (20), BENCH_BACKEND (lowdb | postgres)
import { setTimeout as sleep } from 'node:timers/promises';
import { backendFromEnv, drain, envNum, fmt, isMain, load, loadAvg, machine, metric, rssOf, startFlowdesk, startReceiverProcess, writeResult, type Backend, type LoadResult } from './lib.ts';

export interface MemoryResult {
  backend: string;
  /** the backend's durability settings, as reported by it */
  durability: string;
  machine: string;
  loadAvg: number;
  runs: number;
  load: LoadResult;
  drainS: number;
  /** MiB */
  rssStart: number;
  rssAfter: number;
  /** 5 s after every run ended (the settled figure before this benchmark waited for V8's memory reducer) */
  rssAt5s: number;
  rssSettled: number;
  settleS: number;
  rssPeak: number;
  heapUsedSettled?: number;
  /** every 10% of the load: [runs sent so far (approx.), RSS MiB] */
  curve: [number, number][];
}

export async function runMemory(backend: Backend, o: { runs?: number; connections?: number; settleS?: number } = {}): Promise<MemoryResult> {
  const runs = o.runs ?? envNum('BENCH_RUNS', 100_000);
  const connections = o.connections ?? envNum('BENCH_CONNECTIONS', 50);
  const settleS = Math.max(5, o.settleS ?? envNum('BENCH_SETTLE_S', 20));
  const receiver = await startReceiverProcess();
  try {
    const rt = await startFlowdesk({ receiverUrl: receiver.url, backend });
    try {
      const rssStart = rssOf(rt.pid).rssMiB;
      const curve: [number, number][] = [];
      const step = Math.max(1, Math.ceil(runs / 10));
      let sent = 0;
      // in slices of a tenth, to draw the RSS curve as history grows
      const parts: LoadResult[] = [];
      while (sent < runs) {
        const amount = Math.min(step, runs - sent);
        parts.push(await load(rt.url, { seconds: 0, amount, connections, tag: `m${sent}` }));
        sent += amount;
        curve.push([sent, Math.round(rssOf(rt.pid).rssMiB)]);
      }
      const dur = parts.reduce((a, p) => a + p.durationS, 0);
      const accepted = parts.reduce((a, p) => a + p.accepted, 0);
      const r: LoadResult = {
        requestsPerSec: accepted / dur,
        accepted,
        non2xx: parts.reduce((a, p) => a + p.non2xx, 0),
        errors: parts.reduce((a, p) => a + p.errors, 0),
        p50: Math.max(...parts.map((p) => p.p50)),
        p90: Math.max(...parts.map((p) => p.p90)),
        p99: Math.max(...parts.map((p) => p.p99)),
        max: Math.max(...parts.map((p) => p.max)),
        mean: parts.reduce((a, p) => a + p.mean * p.accepted, 0) / (accepted || 1),
        durationS: dur,
        acceptedPerSec: accepted / dur,
      };
      const drainS = await drain(rt.url, 600_000);
      const rssAfter = rssOf(rt.pid).rssMiB;
      await sleep(5000);
      const rssAt5s = rssOf(rt.pid).rssMiB;
      await sleep((settleS - 5) * 1000);
      const settled = rssOf(rt.pid);
      const heap = await metric(rt.url, 'nodejs_heap_size_used_bytes');
      return {
        backend: backend.name,
        durability: backend.durability,
        machine: machine(),
        loadAvg: loadAvg(),
        runs,
        load: r,
        drainS,
        rssStart,
        rssAfter,
        rssAt5s,
        rssSettled: settled.rssMiB,
        settleS,
        rssPeak: settled.peakMiB,
        heapUsedSettled: heap === undefined ? undefined : heap / 2 ** 20,
        curve,
      };
    } finally {
      await rt.stop();
    }
  } finally {
    await receiver.close();
  }
}

export function printMemory(r: MemoryResult): void {
  console.log(`\nmemory — ${r.backend} — ${r.machine}, load average ${r.loadAvg}, ${r.runs} runs pushed through the runtime, ${r.durability}`);
  console.log(`accepted ${r.load.accepted} at ${fmt(r.load.acceptedPerSec, 0)}/s (non-2xx ${r.load.non2xx}, errors ${r.load.errors}), all terminal ${r.drainS.toFixed(1)}s after the last request`);
  console.log(`RSS MiB:   at start   after 100%   5 s after   settled (${r.settleS} s)   peak (VmHWM)   heap used (settled)`);
  console.log(`          ${fmt(r.rssStart, 9)}  ${fmt(r.rssAfter, 11)}  ${fmt(r.rssAt5s, 10)}  ${fmt(r.rssSettled, 15)}  ${fmt(r.rssPeak, 13)}  ${fmt(r.heapUsedSettled, 19)}`);
  console.log(`RSS as runs are sent: ${r.curve.map(([n, m]) => `${n / 1000}k→${m}`).join('  ')}`);
  console.log(`\nRSS after ${r.runs} runs = ${r.rssSettled.toFixed(0)} MiB (${((r.rssSettled * 2 ** 20) / 1e6).toFixed(0)} MB; target ≤ 200 MB)`);
}

if (isMain(import.meta.filename)) {
  const backend = await backendFromEnv();
  try {
    const r = await runMemory(backend);
    printMemory(r);
    console.log(`results: ${writeResult(backend.name === 'lowdb' ? 'memory' : `memory-${backend.name}`, r)}`);
  } finally {
    await backend.close();
  }
}
