// node --import tsx bench/accept-only.ts — how Flowdesk's saturation rate splits between taking an event
// and running it: the bench lead flow as deployed, and the same flow held (each event still validated,
// deduplicated, journaled with fdatasync and answered 202, its run parked instead of executed), next to
// a bare Express 5 route, in BENCH_ROUNDS (3) rounds of BENCH_SECONDS (8) at BENCH_CONNECTIONS (50).
// Embedded store (lowdb) or BENCH_BACKEND=postgres.
import { backendFromEnv, isMain, load, loadAvg, machine, medianNum, pct, startChild, startFlowdesk, roundSettings, startReceiverProcess, writeResult } from './lib.ts';

export interface AcceptOnlyRound {
  express: number;
  flowdesk: number;
  held: number;
}

export interface AcceptOnlyResult {
  backend: string;
  machine: string;
  loadAvg: number;
  rounds: AcceptOnlyRound[];
  /** medians over rounds of the per-round ratios to Express, in % */
  flowdeskPct: number;
  heldPct: number;
}

export async function measureAcceptOnly(): Promise<AcceptOnlyResult> {
  const { seconds, connections, rounds } = roundSettings();
  const backend = await backendFromEnv();
  const receiver = await startReceiverProcess();
  const express = await startChild('bench/baselines/express.ts');
  const full = await startFlowdesk({ receiverUrl: receiver.url, backend });
  const held = await startFlowdesk({ receiverUrl: receiver.url, backend });
  const out: AcceptOnlyRound[] = [];
  try {
    const r = await fetch(`${held.url}/api/flows/bench-lead/active`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ active: false, hold: true }) });
    if (r.status !== 200) throw new Error(`could not hold the bench flow: ${r.status} ${await r.text()}`);
    for (const u of [express.url, full.url, held.url]) await load(u, { seconds: 2, connections, tag: 'warmup' });
    for (let i = 0; i < rounds; i++) {
      const e = await load(express.url, { seconds, connections, tag: `e${i}` });
      const f = await load(full.url, { seconds, connections, tag: `f${i}` });
      const h = await load(held.url, { seconds, connections, tag: `h${i}` });
      if (h.non2xx || f.non2xx) throw new Error(`non-2xx answers: flow ${f.non2xx}, held ${h.non2xx}`);
      out.push({ express: e.acceptedPerSec, flowdesk: f.acceptedPerSec, held: h.acceptedPerSec });
    }
  } finally {
    await held.stop();
    await full.stop();
    await express.stop();
    await receiver.close();
    await backend.close();
  }
  return {
    backend: backend.name,
    machine: machine(),
    loadAvg: loadAvg(),
    rounds: out,
    flowdeskPct: medianNum(out.map((x) => pct(x.flowdesk, x.express))),
    heldPct: medianNum(out.map((x) => pct(x.held, x.express))),
  };
}

if (isMain(import.meta.filename)) {
  const r = await measureAcceptOnly();
  console.log(`accept vs run — ${r.backend} — ${r.machine}, load average ${r.loadAvg}`);
  for (const [i, x] of r.rounds.entries())
    console.log(`round ${i + 1}: express ${Math.round(x.express)}/s  flowdesk ${Math.round(x.flowdesk)}/s (${pct(x.flowdesk, x.express).toFixed(0)}%)  held: accepted only ${Math.round(x.held)}/s (${pct(x.held, x.express).toFixed(0)}%)`);
  console.log(`median of rounds: flowdesk ${r.flowdeskPct.toFixed(0)}% of Express, the accept path alone ${r.heldPct.toFixed(0)}%`);
  console.log(`results: ${writeResult(`accept-only-${r.backend}`, r)}`);
  process.exit(0);
}
