// node --import tsx bench/client-call.ts — what the lead flow's one outbound call costs the loop thread
// by itself: keep-alive POSTs to the bench receiver (its own process) from this process's one event loop,
// BENCH_CONNECTIONS (50) in flight, BENCH_SECONDS (8) × BENCH_ROUNDS (3): calls/s and CPU µs per call.
// Read next to bench:rates' node:http figure: the two HTTP exchanges of one Flowdesk event are the floor
// under its per-event cost; the rest is Flowdesk's own work.
import http from 'node:http';
import { closedLoop, isMain, loadAvg, machine, medianNum, roundSettings, startReceiverProcess, writeResult } from './lib.ts';

export interface ClientCallResult {
  machine: string;
  loadAvg: number;
  rounds: { callsPerSec: number; cpuUsPerCall: number }[];
  callsPerSec: number;
  cpuUsPerCall: number;
}

export async function measureClientCall(): Promise<ClientCallResult> {
  const { seconds, connections, rounds } = roundSettings();
  const rx = await startReceiverProcess();
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  const body = JSON.stringify({ email: 'lead@example.com', fit: 80, source: 'bench' });
  const call = () =>
    new Promise<void>((resolve, reject) => {
      const req = http.request(`${rx.url}/hook`, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
        res.resume();
        res.on('end', resolve);
      });
      req.on('error', reject);
      req.end(body);
    });
  const out: ClientCallResult['rounds'] = [];
  try {
    for (let r = 0; r < rounds; r++) {
      const c0 = process.cpuUsage();
      const n = await closedLoop(connections, seconds, call);
      const c = process.cpuUsage(c0);
      out.push({ callsPerSec: n / seconds, cpuUsPerCall: (c.user + c.system) / n });
    }
  } finally {
    agent.destroy();
    await rx.close();
  }
  return { machine: machine(), loadAvg: loadAvg(), rounds: out, callsPerSec: medianNum(out.map((x) => x.callsPerSec)), cpuUsPerCall: medianNum(out.map((x) => x.cpuUsPerCall)) };
}

if (isMain(import.meta.filename)) {
  const r = await measureClientCall();
  console.log(`outbound keep-alive POST from one loop — ${r.machine}, load average ${r.loadAvg}`);
  for (const [i, x] of r.rounds.entries()) console.log(`round ${i + 1}: ${Math.round(x.callsPerSec)} calls/s, ${x.cpuUsPerCall.toFixed(0)} µs of process CPU per call`);
  console.log(`median: ${Math.round(r.callsPerSec)} calls/s, ${r.cpuUsPerCall.toFixed(0)} µs per call`);
  console.log(`results: ${writeResult('client-call', r)}`);
  process.exit(0);
}
