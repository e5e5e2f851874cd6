// node --import tsx bench/gc-counters.ts [bundle.mjs …] — what the collector costs per event, from V8's own
// counters (`--trace-gc-nvp`) rather than wall-clock: per round and bundle (this checkout's, or the
// bundles given, interleaved), a fresh runtime is paced at BENCH_RATE (1,000)/s for BENCH_SECONDS (8)
// after a warm-up; then scavenges and mark-compacts in that window, their pauses, and the bytes each
// event allocated and had promoted to the old generation (promotion is what brings mark-compacts, whose
// pauses set the tail at a fixed rate). BENCH_RATE=0: at saturation (BENCH_CONNECTIONS) instead.
//   BENCH_ROUNDS (3), BENCH_SECONDS (8), BENCH_RATE (1000), BENCH_NODE_FLAGS (more flags for the runtime).
import { readFileSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parseGcNvp, summariseGc, type GcSummary } from './gc-trace.ts';
import { drain, envNum, fmt, isMain, loadAvg, lowdbBackend, machine, medianNum, REPO, roundSettings, startFlowdesk, sendLoad, startReceiverProcess, tmp, writeResult } from './lib.ts';

interface Measured extends GcSummary {
  bundle: string;
  events: number;
  p99: number;
}

async function measure(bundle: string | undefined, receiverUrl: string, rate: number, tag: string): Promise<Measured> {
  const { seconds, connections } = roundSettings();
  const log = join(tmp('flowdesk-gc-'), 'runtime.log');
  const rt = await startFlowdesk({ receiverUrl, backend: lowdbBackend(), nodeFlags: ['--trace-gc-nvp'], logFile: log, ...(bundle ? { entry: bundle } : {}) });
  try {
    const send = (s: number, t: string) => sendLoad(rt.url, { seconds: s, connections, rate, tag: t });
    await send(3, `${tag}-warm`);
    await drain(rt.url);
    const from = readFileSync(log, 'utf8').length;
    const r = await send(seconds, tag);
    await drain(rt.url); // the runs' collections count too
    const events = parseGcNvp(readFileSync(log, 'utf8').slice(from));
    return { bundle: bundle ?? 'this checkout', events: r.accepted, p99: r.p99, ...summariseGc(events, r.accepted) };
  } finally {
    await rt.stop();
    rmSync(dirname(log), { recursive: true, force: true });
  }
}

export async function runGcCounters(bundles: (string | undefined)[]): Promise<{ machine: string; loadAvg: number; rate: number; rounds: Measured[][] }> {
  const { rounds } = roundSettings();
  const rate = envNum('BENCH_RATE', 1000);
  const receiver = await startReceiverProcess();
  const out: Measured[][] = [];
  try {
    for (let i = 0; i < rounds; i++) {
      // interleaved, the order turned every round: a slow minute of the machine hits each bundle alike
      const order = i % 2 ? [...bundles].reverse() : bundles;
      const round: Measured[] = [];
      for (const b of order) round.push(await measure(b, receiver.url, rate, `gc${i}`));
      out.push(bundles.map((b) => round.find((m) => m.bundle === (b ?? 'this checkout'))!));
    }
  } finally {
    await receiver.close();
  }
  return { machine: machine(), loadAvg: loadAvg(), rate, rounds: out };
}

if (isMain(import.meta.filename)) {
  const bundles = process.argv.length > 2 ? process.argv.slice(2).map((p) => resolve(REPO, p)) : [undefined];
  const res = await runGcCounters(bundles);
  const { seconds } = roundSettings();
  console.log(`\ngc-counters — ${res.machine}, load average ${res.loadAvg}, ${res.rate > 0 ? `paced ${res.rate}/s` : 'saturation'} for ${seconds} s per round (V8 --trace-gc-nvp)`);
  console.log('round bundle                      events  p99 ms | alloc KB/ev  scav.  avg ms  promoted B/ev | m-c  avg ms  max ms  promoted B/ev | pause ms per 1k ev');
  const row = (label: string, m: Measured) =>
    console.log(
      `${label.padEnd(6)}${m.bundle.slice(-26).padEnd(26)}${fmt(m.events, 8)}${fmt(m.p99, 8, 1)} |${fmt(m.allocatedPerEvent / 1000, 12, 1)}${fmt(m.scavenges, 7)}${fmt(m.scavengePauseAvgMs, 8, 2)}${fmt(m.scavengePromotedPerEvent, 15)} |${fmt(m.markCompacts, 4)}${fmt(m.markCompactPauseAvgMs, 8, 1)}${fmt(m.markCompactPauseMaxMs, 8, 1)}${fmt(m.markCompactPromotedPerEvent, 15)} |${fmt(m.pauseMsPerThousand, 19, 1)}`,
    );
  res.rounds.forEach((r, i) => r.forEach((m) => row(String(i + 1), m)));
  for (let b = 0; b < res.rounds[0]!.length; b++) {
    const of = (f: (m: Measured) => number) => medianNum(res.rounds.map((r) => f(r[b]!)));
    console.log(
      `median ${res.rounds[0]![b]!.bundle}: ${(of((m) => m.allocatedPerEvent) / 1000).toFixed(1)} KB allocated and ${of((m) => m.scavengePromotedPerEvent).toFixed(0)} B promoted by scavenges per event, ${of((m) => m.markCompacts)} mark-compacts (max pause ${of((m) => m.markCompactPauseMaxMs).toFixed(1)} ms), ${of((m) => m.pauseMsPerThousand).toFixed(1)} ms of pauses per 1,000 events`,
    );
  }
  console.log(`results: ${writeResult('gc-counters', res)}`);
}
