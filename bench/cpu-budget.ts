// node --import tsx bench/cpu-budget.ts — what the saturation ratio to bare Express is made of: every
// process's CPU time per answered request (Express and the load generator) against per accepted event
// (the runtime, the bench receiver its flow calls, the load generator), lowdb store, fsync on, in rounds.
// Both sides saturate the same 2 cores, so the ratio follows the CPU per event: the "CPU-bound ceiling"
// (Express's µs per request / Flowdesk's µs per event) sits next to the measured ratio, with what ≥ 90%
// would need and what running runs off the loop thread could reach at most (every core busy).
//   BENCH_SECONDS (8), BENCH_ROUNDS (3), BENCH_CONNECTIONS (50).
import { cpus } from 'node:os';
import {
  drain, isMain, load, loadAvg, loopThreadCpuUs, lowdbBackend, machine, medianNum, pct, processCpuUs, roundSettings, startChild, startFlowdesk, startReceiverChild, writeResult,
} from './lib.ts';

interface Side {
  perSec: number;
  /** CPU µs per answered request / accepted event, by process */
  server: number;
  /** of which the server's main thread (its event loop) */
  serverLoop: number;
  receiver: number;
  generator: number;
  total: number;
  /** share of the machine's cores all of it used */
  coresUsed: number;
}

export interface CpuBudgetRound {
  express: Side;
  flowdesk: Side;
  ratioPct: number;
  ceilingPct: number;
}

const selfCpuUs = (): number => {
  const u = process.cpuUsage();
  return u.user + u.system;
};

export async function runCpuBudget(): Promise<{ machine: string; loadAvg: number; rounds: CpuBudgetRound[]; ratioPct: number; ceilingPct: number; neededUsPerEvent: number; allCoresPct: number }> {
  const { seconds, connections, rounds } = roundSettings();
  const cores = cpus().length;
  const receiver = await startReceiverChild();
  const express = await startChild('bench/baselines/express.ts');
  const rt = await startFlowdesk({ receiverUrl: receiver.url, backend: lowdbBackend() });
  const out: CpuBudgetRound[] = [];
  try {
    for (const u of [express.url, rt.url]) await load(u, { seconds: 2, connections, tag: 'warmup' });
    await drain(rt.url);
    const measure = async (url: string, server: number, rx: number | undefined, tag: string): Promise<Side> => {
      const g0 = selfCpuUs();
      const s0 = processCpuUs(server);
      const l0 = loopThreadCpuUs(server);
      const r0 = rx === undefined ? 0 : processCpuUs(rx);
      const r = await load(url, { seconds, connections, tag });
      if (rx !== undefined) await drain(url); // the runs' work counts too
      const n = Math.max(1, r.accepted);
      const side = { server: (processCpuUs(server) - s0) / n, serverLoop: (loopThreadCpuUs(server) - l0) / n, receiver: rx === undefined ? 0 : (processCpuUs(rx) - r0) / n, generator: (selfCpuUs() - g0) / n };
      const total = side.server + side.receiver + side.generator;
      return { perSec: r.acceptedPerSec, ...side, total, coresUsed: (total * r.acceptedPerSec) / 1e6 / cores };
    };
    for (let i = 0; i < rounds; i++) {
      const e = await measure(express.url, express.proc.pid!, undefined, `e${i}`);
      const f = await measure(rt.url, rt.pid, receiver.proc.pid!, `f${i}`);
      out.push({ express: e, flowdesk: f, ratioPct: pct(f.perSec, e.perSec), ceilingPct: pct(e.total, f.total) });
    }
  } finally {
    await Promise.all([rt.stop(), express.stop(), receiver.stop()]);
  }
  const expressPerSec = medianNum(out.map((r) => r.express.perSec));
  const flowTotal = medianNum(out.map((r) => r.flowdesk.total));
  return {
    machine: machine(),
    loadAvg: loadAvg(),
    rounds: out,
    ratioPct: medianNum(out.map((r) => r.ratioPct)),
    ceilingPct: medianNum(out.map((r) => r.ceilingPct)),
    // ≥ 90% of Express at the CPU share both use today
    neededUsPerEvent: medianNum(out.map((r) => (r.express.total * r.flowdesk.coresUsed) / (0.9 * r.express.coresUsed))),
    // every core busy with Flowdesk's work and its generator (e.g. runs driven off the loop thread)
    allCoresPct: pct((cores * 1e6) / flowTotal, expressPerSec),
  };
}

if (isMain(import.meta.filename)) {
  const r = await runCpuBudget();
  const f = (n: number) => n.toFixed(0).padStart(5);
  console.log(`\ncpu-budget — ${r.machine}, load average ${r.loadAvg}, lowdb, fsync on; CPU µs per answered request / accepted event`);
  console.log('round   express/s  server (loop)  generator  total  cores |  flowdesk/s  runtime (loop)  receiver  generator  total  cores | ratio  ceiling');
  r.rounds.forEach((x, i) =>
    console.log(
      `${String(i + 1).padEnd(5)} ${f(x.express.perSec).padStart(10)}  ${f(x.express.server).padStart(6)} (${f(x.express.serverLoop)})  ${f(x.express.generator).padStart(9)}  ${f(x.express.total)}  ${x.express.coresUsed.toFixed(2)} | ${f(x.flowdesk.perSec).padStart(11)}  ${f(x.flowdesk.server).padStart(7)} (${f(x.flowdesk.serverLoop)})  ${f(x.flowdesk.receiver).padStart(8)}  ${f(x.flowdesk.generator).padStart(9)}  ${f(x.flowdesk.total)}  ${x.flowdesk.coresUsed.toFixed(2)} | ${f(x.ratioPct)}%  ${f(x.ceilingPct)}%`,
    ),
  );
  console.log(
    `\nmeasured ratio ${r.ratioPct.toFixed(0)}%, CPU-bound ceiling ${r.ceilingPct.toFixed(0)}% (median of rounds); ≥ 90% needs ≤ ${r.neededUsPerEvent.toFixed(0)} µs per event in all processes at today's share of the cores; with every core busy at today's cost: at most ${r.allCoresPct.toFixed(0)}%`,
  );
  console.log(`results: ${writeResult('cpu-budget', r)}`);
}
