// npm run bench:ingest — durable webhook ingest on the lead flow, with 0 and 50,000 finished runs
// already stored, against two baselines measured in the same run: bare Express 5 and plain node:http.
import { rmSync } from 'node:fs';
import { benchFlowsDir, dataDirBytes, drain, load, machine, seedFinishedRuns, RUNTIME_NODE_FLAGS, runtimeEntry, startChild, startReceiver, tmp, writeResult, type LoadResult } from './lib.ts';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const HISTORY = (process.env.BENCH_HISTORY ?? '0,50000').split(',').map(Number);

async function flowdesk(history: number, receiverUrl: string): Promise<LoadResult & { drainS: number; completedPerSec: number; history: number; bytesPerRun: number; runBytesPerRun: number }> {
  const dataDir = tmp('flowdesk-bench-data-');
  const flowsDir = benchFlowsDir(receiverUrl);
  await seedFinishedRuns(dataDir, history);
  const rt = await startChild(runtimeEntry(), { FLOWDESK_DATA_DIR: dataDir, FLOWDESK_FLOWS_DIR: flowsDir, FLOWDESK_FSYNC: '1', FLOWDESK_LOG_LEVEL: 'warn' }, RUNTIME_NODE_FLAGS);
  try {
    const before = dataDirBytes(dataDir);
    const warm = await load(rt.url, { seconds: 2, tag: 'warmup' });
    await drain(rt.url);
    const r = await load(rt.url, { seconds: SECONDS, tag: `h${history}` });
    const drainS = await drain(rt.url);
    // what each accepted event left on disk once its run ended (issue 11: 8.6–9.4 KB before)
    const after = dataDirBytes(dataDir);
    const n = warm.accepted + r.accepted;
    return { ...r, history, drainS, completedPerSec: r.accepted / (r.durationS + drainS), bytesPerRun: (after.total - before.total) / n, runBytesPerRun: (after.runs - before.runs) / n };
  } finally {
    await rt.stop();
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(flowsDir, { recursive: true, force: true });
  }
}

async function baseline(script: string): Promise<LoadResult> {
  const b = await startChild(script);
  try {
    await load(b.url, { seconds: 2, tag: 'warmup' });
    return await load(b.url, { seconds: SECONDS, tag: 'base' });
  } finally {
    await b.stop();
  }
}

const receiver = await startReceiver();
const express = await baseline('bench/baselines/express.ts');
const nodeHttp = await baseline('bench/baselines/node-http.ts');
const runs = [];
for (const h of HISTORY) runs.push(await flowdesk(h, receiver.url));
await receiver.close();

const fmt = (n: number) => n.toFixed(0).padStart(7);
console.log(`\ningest benchmark — ${machine()}, ${SECONDS}s per measurement, 50 connections, fsync on`);
console.log('target                  events/s   p50 ms   p99 ms   max ms   done runs/s   drain s   disk KB/run (run lines)');
console.log(`node:http (ceiling)     ${fmt(nodeHttp.requestsPerSec)}  ${fmt(nodeHttp.p50)}  ${fmt(nodeHttp.p99)}  ${fmt(nodeHttp.max)}`);
console.log(`express 5 (floor)       ${fmt(express.requestsPerSec)}  ${fmt(express.p50)}  ${fmt(express.p99)}  ${fmt(express.max)}`);
for (const r of runs) {
  console.log(`flowdesk, ${String(r.history).padStart(6)} runs  ${fmt(r.accepted / r.durationS)}  ${fmt(r.p50)}  ${fmt(r.p99)}  ${fmt(r.max)}  ${fmt(r.completedPerSec)}      ${r.drainS.toFixed(1)}     ${(r.bytesPerRun / 1024).toFixed(1)} (${(r.runBytesPerRun / 1024).toFixed(1)})`);
}
const empty = runs.find((r) => r.history === 0);
const full = runs.find((r) => r.history > 0);
if (empty) {
  const rate = empty.accepted / empty.durationS;
  console.log(`\nflowdesk / express 5 = ${((rate / express.requestsPerSec) * 100).toFixed(0)}%   flowdesk / node:http = ${((rate / nodeHttp.requestsPerSec) * 100).toFixed(0)}%`);
  if (full) console.log(`rate with ${full.history} finished runs / empty store = ${(((full.accepted / full.durationS) / rate) * 100).toFixed(0)}%`);
}
const bad = runs.reduce((n, r) => n + r.non2xx + r.errors, 0);
if (bad) console.log(`WARNING: ${bad} non-2xx answers or errors`);
console.log(`results: ${writeResult('ingest', { machine: machine(), seconds: SECONDS, express, nodeHttp, runs })}`);
