// node --import tsx bench/client-call.ts — what the lead flow's one outbound call costs a thread by itself:
// keep-alive POSTs to the bench receiver (its own process) from this process's one event loop,
// BENCH_CONNECTIONS (50) in flight, BENCH_SECONDS (8) × BENCH_ROUNDS (3), two clients interleaved per
// round: node:http's client with a keep-alive agent, and the runtime's own `exchange()` (what the egress
// worker runs for every http.request step: the egress checks, undici, the body cap and the deadline) —
// calls/s and CPU µs per call. Read next to bench:rates' node:http figure: the two HTTP exchanges of one
// Flowdesk event are the floor under its per-event cost; the rest is Flowdesk's own work.
import http from 'node:http';
import { egressPolicy } from '../apps/runtime/src/security/egress.ts';
import { exchange } from '../apps/runtime/src/security/egress-exchange.ts';
import { closedLoop, isMain, loadAvg, machine, medianNum, roundSettings, startReceiverProcess, writeResult } from './lib.ts';

interface ClientRound {
  callsPerSec: number;
  cpuUsPerCall: number;
}

export interface ClientCallResult {
  machine: string;
  loadAvg: number;
  clients: Record<string, { rounds: ClientRound[]; callsPerSec: number; cpuUsPerCall: number }>;
}

export async function measureClientCall(): Promise<ClientCallResult> {
  const { seconds, connections, rounds } = roundSettings();
  const rx = await startReceiverProcess();
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  const body = JSON.stringify({ email: 'lead@example.com', fit: 80, source: 'bench' });
  const headers = { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) };
  const url = new URL(`${rx.url}/hook`);
  const policy = egressPolicy({});
  const clients: Record<string, () => Promise<void>> = {
    'node:http': () =>
      new Promise<void>((resolve, reject) => {
        const req = http.request(url, { method: 'POST', agent, headers }, (res) => {
          res.resume();
          res.on('end', resolve);
        });
        req.on('error', reject);
        req.end(body);
      }),
    'exchange (undici)': async () => {
      const res = await exchange({ url, method: 'POST', headers, body, timeoutMs: 30_000, originFromEvent: false, credential: false }, policy);
      if (res.status !== 200) throw new Error(`the receiver answered ${res.status}`);
    },
  };
  const out: Record<string, ClientRound[]> = Object.fromEntries(Object.keys(clients).map((k) => [k, []]));
  try {
    for (let r = 0; r < rounds; r++) {
      // the order turned every round: a slow minute of the machine hits both alike
      const names = Object.keys(clients);
      for (const name of r % 2 ? names.reverse() : names) {
        const c0 = process.cpuUsage();
        const n = await closedLoop(connections, seconds, clients[name]!);
        const c = process.cpuUsage(c0);
        out[name]!.push({ callsPerSec: n / seconds, cpuUsPerCall: (c.user + c.system) / n });
      }
    }
  } finally {
    agent.destroy();
    await rx.close();
  }
  const summary = Object.fromEntries(
    Object.entries(out).map(([k, rs]) => [k, { rounds: rs, callsPerSec: medianNum(rs.map((x) => x.callsPerSec)), cpuUsPerCall: medianNum(rs.map((x) => x.cpuUsPerCall)) }]),
  );
  return { machine: machine(), loadAvg: loadAvg(), clients: summary };
}

if (isMain(import.meta.filename)) {
  const r = await measureClientCall();
  console.log(`outbound keep-alive POST from one loop — ${r.machine}, load average ${r.loadAvg}`);
  for (const [name, c] of Object.entries(r.clients)) {
    for (const [i, x] of c.rounds.entries()) console.log(`${name.padEnd(18)} round ${i + 1}: ${Math.round(x.callsPerSec)} calls/s, ${x.cpuUsPerCall.toFixed(0)} µs of process CPU per call`);
    console.log(`${name.padEnd(18)} median: ${Math.round(c.callsPerSec)} calls/s, ${c.cpuUsPerCall.toFixed(0)} µs per call`);
  }
  console.log(`results: ${writeResult('client-call', r)}`);
  process.exit(0);
}
