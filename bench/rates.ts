// npm run bench:rates — the lead flow (contract, idempotency key, scoring, routing, one HTTP call to a
// local receiver) at fixed rates and at saturation, with the two baselines measured in the same run:
// a bare Express 5 route (the framework's floor) and plain node:http (the machine's ceiling).
//   BENCH_SECONDS (10) per measurement, BENCH_RATES (250,500,1000) events/s, BENCH_CONNECTIONS (50),
//   BENCH_BACKEND (lowdb | postgres), BENCH_CPU_PROF=<dir> (profile the runtime child),
//   BENCH_PACER (paced | autocannon): how fixed rates are sent — `paced` (default) spaces requests evenly
//   (an open loop, latency from each request's scheduled time); `autocannon` uses its overallRate, which
//   sends each connection's per-second quota in a burst and so adds its own queueing to the latency.
import { paced, backendFromEnv, badRuns, drain, envList, envNum, fmt, isMain, load, machine, pct, startChild, startFlowdesk, startReceiverProcess, writeResult, type Backend, type LoadResult } from './lib.ts';

export interface RatePoint extends LoadResult {
  /** requested events/s (undefined = saturation) */
  target?: number;
  /** seconds after the load ended until every accepted run was terminal */
  drainS: number;
  /** seconds from the first request until every accepted run was terminal */
  terminalS: number;
  /** accepted runs / terminalS */
  completedPerSec: number;
  badRuns: number;
}

export interface RatesResult {
  backend: string;
  machine: string;
  seconds: number;
  connections: number;
  pacer: 'paced' | 'autocannon';
  express: LoadResult;
  nodeHttp: LoadResult;
  express1000?: LoadResult;
  nodeHttp1000?: LoadResult;
  fixed: RatePoint[];
  saturation: RatePoint;
  /** flowdesk saturation rate / baseline saturation rate, in % */
  vsExpressPct: number;
  vsNodeHttpPct: number;
  p99At1000?: number;
  receiverCalls: number;
}

const pacer = (): 'paced' | 'autocannon' => (process.env.BENCH_PACER === 'autocannon' ? 'autocannon' : 'paced');

/** A load at a fixed rate (see BENCH_PACER) or, without a rate, at saturation (autocannon). */
const send = (url: string, opts: { seconds: number; connections: number; rate?: number; tag: string }): Promise<LoadResult> =>
  opts.rate && pacer() === 'paced' ? paced(url, { ...opts, rate: opts.rate }) : load(url, opts);

async function baseline(script: string, seconds: number, connections: number, rate?: number): Promise<LoadResult> {
  const b = await startChild(script);
  try {
    await load(b.url, { seconds: 2, connections, tag: 'warmup' });
    return await send(b.url, { seconds, connections, rate, tag: 'base' });
  } finally {
    await b.stop();
  }
}

export async function measurePoint(url: string, opts: { seconds: number; connections: number; rate?: number; tag: string }): Promise<RatePoint> {
  const r = await send(url, opts);
  const drainS = await drain(url);
  const terminalS = r.durationS + drainS;
  return { ...r, target: opts.rate, drainS, terminalS, completedPerSec: r.accepted / terminalS, badRuns: await badRuns(url) };
}

export async function runRates(backend: Backend, o: { seconds?: number; rates?: number[]; connections?: number } = {}): Promise<RatesResult> {
  const seconds = o.seconds ?? envNum('BENCH_SECONDS', 10);
  const rates = o.rates ?? envList('BENCH_RATES', '250,500,1000');
  const connections = o.connections ?? envNum('BENCH_CONNECTIONS', 50);
  const receiver = await startReceiverProcess();
  try {
    const express = await baseline('bench/baselines/express.ts', seconds, connections);
    const nodeHttp = await baseline('bench/baselines/node-http.ts', seconds, connections);
    const has1000 = rates.includes(1000);
    const express1000 = has1000 ? await baseline('bench/baselines/express.ts', seconds, connections, 1000) : undefined;
    const nodeHttp1000 = has1000 ? await baseline('bench/baselines/node-http.ts', seconds, connections, 1000) : undefined;
    const rt = await startFlowdesk({ receiverUrl: receiver.url, backend });
    try {
      await load(rt.url, { seconds: 2, connections, tag: 'warmup' });
      await drain(rt.url);
      const fixed: RatePoint[] = [];
      for (const rate of rates) fixed.push(await measurePoint(rt.url, { seconds, connections, rate, tag: `r${rate}` }));
      const saturation = await measurePoint(rt.url, { seconds, connections, tag: 'sat' });
      return {
        backend: backend.name,
        machine: machine(),
        seconds,
        connections,
        pacer: pacer(),
        express,
        nodeHttp,
        express1000,
        nodeHttp1000,
        fixed,
        saturation,
        vsExpressPct: pct(saturation.acceptedPerSec, express.acceptedPerSec),
        vsNodeHttpPct: pct(saturation.acceptedPerSec, nodeHttp.acceptedPerSec),
        p99At1000: fixed.find((p) => p.target === 1000)?.p99,
        receiverCalls: await receiver.count(),
      };
    } finally {
      await rt.stop();
    }
  } finally {
    await receiver.close();
  }
}

export function printRates(r: RatesResult): void {
  console.log(`\nrates — ${r.backend} — ${r.machine}, ${r.seconds}s per measurement, ${r.connections} connections, fsync on, fixed rates ${r.pacer === 'paced' ? 'evenly paced' : 'by autocannon overallRate (bursty)'}`);
  console.log('                          target/s  accepted/s   p50 ms   p99 ms   max ms  done runs/s  all terminal s  non-2xx  bad runs');
  const row = (name: string, p: LoadResult, target?: number, extra?: RatePoint) =>
    console.log(
      `${name.padEnd(26)}${fmt(target, 8)}  ${fmt(p.acceptedPerSec, 10)}  ${fmt(p.p50)}  ${fmt(p.p99)}  ${fmt(p.max)}  ${fmt(extra?.completedPerSec, 11)}  ${fmt(extra?.terminalS, 14, 1)}  ${fmt(p.non2xx + p.errors, 7)}  ${fmt(extra?.badRuns, 8)}`,
    );
  row('node:http (ceiling)', r.nodeHttp);
  row('express 5 (floor)', r.express);
  if (r.nodeHttp1000) row('node:http @1000/s', r.nodeHttp1000, 1000);
  if (r.express1000) row('express 5 @1000/s', r.express1000, 1000);
  for (const p of r.fixed) row(`flowdesk @${p.target}/s`, p, p.target, p);
  row('flowdesk saturation', r.saturation, undefined, r.saturation);
  console.log(
    `\nflowdesk / express 5 = ${r.vsExpressPct.toFixed(0)}% (target ≥ 80%)   flowdesk / node:http = ${r.vsNodeHttpPct.toFixed(0)}%   p99 @1000/s = ${fmt(r.p99At1000, 0)} ms (target ≤ 25 ms)`,
  );
}

if (isMain(import.meta.filename)) {
  const backend = await backendFromEnv();
  try {
    const r = await runRates(backend);
    printRates(r);
    console.log(`results: ${writeResult(backend.name === 'lowdb' ? 'rates' : `rates-${backend.name}`, r)}`);
  } finally {
    await backend.close();
  }
}
