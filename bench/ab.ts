// node --import tsx bench/ab.ts — two runtime bundles side by side in the same conditions (issue 18's
// hot path): per round, interleaved (A first in odd rounds, B first in even ones), each bundle in a fresh
// runtime started and warmed up for that round: a bare Express 5 saturation, each bundle's saturation,
// then each bundle evenly paced at 1,000 events/s with its event-loop delay (prom-client's
// monitorEventLoopDelay, p99/max over that window) and GC time.
//   BENCH_A (apps/runtime/dist-base/main.mjs: build it with `git stash; npm run build:runtime; cp -r
//   apps/runtime/dist apps/runtime/dist-base; git stash pop`), BENCH_B (this checkout's bundle),
//   BENCH_ROUNDS (3), BENCH_SECONDS (8), BENCH_CONNECTIONS (50), BENCH_RATE (1000); BENCH_A_FLAGS /
//   BENCH_B_FLAGS: more node flags for one side (the same bundle twice with different flags); BENCH_A_ENV /
//   BENCH_B_ENV: more environment for one side (NAME=value, space-separated).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  drain, envNum, fmt, isMain, load, loadAvg, loopThreadCpuUs, lowdbBackend, machine, medianNum, paced, pct, REPO, runtimeEntry, startChild, startFlowdesk,
  processCpuUs, runtimeWindow, startReceiverProcess, writeResult, type LoadResult, type Runtime, type RuntimeWindow,
} from './lib.ts';

/** Saturation plus the runtime's CPU per accepted event: unlike the rate, not moved by others' load. */
type Sat = LoadResult & { cpuUsPerEvent: number; loopUsPerEvent: number };

async function saturate(rt: Runtime, seconds: number, connections: number, tag: string): Promise<Sat> {
  await drain(rt.url);
  const c0 = processCpuUs(rt.pid);
  const l0 = loopThreadCpuUs(rt.pid);
  const r = await load(rt.url, { seconds, connections, tag });
  await drain(rt.url); // the runs' work counts too
  const n = Math.max(1, r.accepted);
  return { ...r, cpuUsPerEvent: (processCpuUs(rt.pid) - c0) / n, loopUsPerEvent: (loopThreadCpuUs(rt.pid) - l0) / n };
}

interface Side {
  sat: Sat[];
  paced: (LoadResult & RuntimeWindow)[];
}

async function pacedWithLoop(rt: Runtime, seconds: number, rate: number, connections: number, tag: string): Promise<LoadResult & RuntimeWindow> {
  const window = await runtimeWindow(rt.url);
  const r = await paced(rt.url, { seconds, rate, connections, tag });
  const w = await window();
  await drain(rt.url);
  return { ...r, ...w };
}

export async function runAB(): Promise<unknown> {
  const rounds = envNum('BENCH_ROUNDS', 3);
  const seconds = envNum('BENCH_SECONDS', 8);
  const connections = envNum('BENCH_CONNECTIONS', 50);
  const rate = envNum('BENCH_RATE', 1000);
  const entries = { A: process.env.BENCH_A ?? 'apps/runtime/dist-base/main.mjs', B: process.env.BENCH_B ?? runtimeEntry() };
  for (const e of Object.values(entries)) if (!existsSync(join(REPO, e))) throw new Error(`no bundle at ${e}`);
  const receiver = await startReceiverProcess();
  const express = await startChild('bench/baselines/express.ts');
  const backend = lowdbBackend();
  const flags = { A: (process.env.BENCH_A_FLAGS ?? '').split(' ').filter(Boolean), B: (process.env.BENCH_B_FLAGS ?? '').split(' ').filter(Boolean) };
  // BENCH_A_ENV / BENCH_B_ENV: more environment for one side, as NAME=value pairs separated by spaces
  const envOf = (v: string | undefined): Record<string, string> => Object.fromEntries((v ?? '').split(' ').filter(Boolean).map((p) => [p.slice(0, p.indexOf('=')), p.slice(p.indexOf('=') + 1)]));
  const envs = { A: envOf(process.env.BENCH_A_ENV), B: envOf(process.env.BENCH_B_ENV) };
  const startSide = (k: 'A' | 'B') => startFlowdesk({ receiverUrl: receiver.url, backend, entry: entries[k], nodeFlags: flags[k], env: envs[k] });
  const sides: Record<'A' | 'B', Side> = { A: { sat: [], paced: [] }, B: { sat: [], paced: [] } };
  const expressSat: LoadResult[] = [];
  const loads: number[] = [];
  const live: Runtime[] = [];
  try {
    await load(express.url, { seconds: 2, connections, tag: 'warmup' });
    for (let i = 0; i < rounds; i++) {
      loads.push(loadAvg());
      const order = i % 2 ? (['B', 'A'] as const) : (['A', 'B'] as const);
      // fresh runtimes every round, started and warmed in this round's order: in A/A runs with one pair of
      // processes kept for the whole run, one side's p99 at the paced rate stayed half the other's
      const rts = {} as Record<'A' | 'B', Runtime>;
      for (const k of order) live.push((rts[k] = await startSide(k)));
      for (const k of order) await load(rts[k].url, { seconds: 2, connections, tag: `${k}w${i}` });
      for (const k of order) await drain(rts[k].url);
      expressSat.push(await load(express.url, { seconds, connections, tag: `e${i}` }));
      for (const k of order) sides[k].sat.push(await saturate(rts[k], seconds, connections, `${k}s${i}`));
      for (const k of order) sides[k].paced.push(await pacedWithLoop(rts[k], seconds, rate, connections, `${k}p${i}`));
      await Promise.all(live.splice(0).map((rt) => rt.stop()));
    }
  } finally {
    await Promise.all([...live.map((rt) => rt.stop()), express.stop(), receiver.close()]);
  }
  console.log(`\nA/B — ${machine()}, load average ${loads.join(', ')}, ${seconds}s per measurement, ${connections} connections, fdatasync per group commit`);
  console.log(`A = ${entries.A} ${flags.A.join(' ')} ${process.env.BENCH_A_ENV ?? ''}\nB = ${entries.B} ${flags.B.join(' ')} ${process.env.BENCH_B_ENV ?? ''}`);
  console.log('                       accepted/s  vs express   p50 ms   p99 ms   max ms  loop p99 ms  loop max ms  GC ms (n)  CPU µs/event (loop thread)');
  const summary: Record<string, unknown> = {};
  for (let i = 0; i < rounds; i++) {
    console.log(`express sat. round ${i + 1} ${fmt(expressSat[i]!.acceptedPerSec, 10)}`);
    for (const k of ['A', 'B'] as const) {
      const s = sides[k].sat[i]!;
      const p = sides[k].paced[i]!;
      console.log(`${k} sat.               ${fmt(s.acceptedPerSec, 10)}  ${fmt(pct(s.acceptedPerSec, expressSat[i]!.acceptedPerSec), 9)}%  ${fmt(s.p50, 7, 1)}  ${fmt(s.p99, 7, 1)}  ${fmt(s.max)}                                    ${fmt(s.cpuUsPerEvent, 12)} (${fmt(s.loopUsPerEvent, 0)})`);
      console.log(
        `${k} @${rate}/s            ${fmt(p.acceptedPerSec, 10)}              ${fmt(p.p50, 7, 1)}  ${fmt(p.p99, 7, 1)}  ${fmt(p.max)}  ${fmt(p.lagP99, 11, 1)}  ${fmt(p.lagMax, 11, 1)}  ${fmt(p.gcMs, 6, 0)} (${p.gcCount}, ${p.majorGcs} major)  answer p99 inside ${fmt(p.answerP99, 0, 1)} ms`,
      );
    }
  }
  for (const k of ['A', 'B'] as const) {
    const ratio = medianNum(sides[k].sat.map((s, i) => pct(s.acceptedPerSec, expressSat[i]!.acceptedPerSec)));
    const p99 = medianNum(sides[k].paced.map((p) => p.p99));
    const p50 = medianNum(sides[k].paced.map((p) => p.p50));
    const cpu = medianNum(sides[k].sat.map((s) => s.cpuUsPerEvent));
    const loop = medianNum(sides[k].sat.map((s) => s.loopUsPerEvent));
    summary[k] = { entry: entries[k], vsExpressPct: ratio, p99At: p99, p50At: p50, cpuUsPerEvent: cpu, loopUsPerEvent: loop };
    console.log(`${k}: median vs express ${ratio.toFixed(0)}%, median p50/p99 @${rate}/s ${p50.toFixed(1)} / ${p99.toFixed(1)} ms, runtime CPU ${cpu.toFixed(0)} µs per event (loop thread ${loop.toFixed(0)})`);
  }
  return { machine: machine(), loads, seconds, connections, rate, expressSat, sides, summary };
}

if (isMain(import.meta.filename)) {
  const r = await runAB();
  console.log(`results: ${writeResult('ab', r)}`);
}
