// npm run bench:soak -- --minutes N --rate R
//
// Sustained load on the real blueprints, as `npm start` runs them (the bundle, 256 MB heap, fsync on):
// lead-qualification at R events/s, evenly paced — a third high fit (fast-response mail), a third
// middle fit (parked in the review queue: the open runs pile up, which is the point), a third low fit
// (nurture mail and a task) — plus one invoice issued every 50 events (a collections run waiting on its
// reminder timers). Every 10 s it prints the runtime's heap and RSS, the backlog (accepted, not yet
// processed), the parked reviews, and p50/p99 of the webhook answers in that interval; at the end, the
// trend and disk bytes per run. Target (issue 11): 10 minutes at 200/s stay flat — heap and backlog
// bounded, p99 ≤ 50 ms. Beside p99 it prints what the runtime itself saw in each interval (bench/soak-probe.mjs,
// preloaded into it): the longest event-loop stall, how many stalls over 20 ms, the longest GC pause and its
// kind — and the generator's own longest stall, so a slow client is not mistaken for a slow server.
// `--prof DIR` writes the runtime's CPU profile there (bench/profile-long-tasks.ts names each long task);
// `--entry apps/runtime/dist-base/main.mjs` runs a bundle built from another commit (before/after pairs).
import { Agent, request } from 'node:http';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { resolve } from 'node:path';
import { join } from 'node:path';
import { dataDirBytes, machine, loadAvg, processCpuUs, REPO, RUNTIME_NODE_FLAGS, rssOf, runtimeEntry, startChild, tmp, writeResult } from './lib.ts';
import { cpSync, mkdirSync } from 'node:fs';

function args(argv: string[]): { minutes: number; rate: number; interval: number; prof?: string; entry?: string } {
  const out: { minutes: number; rate: number; interval: number; prof?: string; entry?: string } = { minutes: 2, rate: 200, interval: 10 };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i]!.split('=');
    if (flag === '--prof') {
      out.prof = resolve(inline ?? argv[++i] ?? '.tmp/prof-soak');
      continue;
    }
    if (flag === '--entry') {
      out.entry = inline ?? argv[++i];
      continue;
    }
    const value = Number(inline ?? argv[++i]);
    if (!Number.isFinite(value) || value <= 0) throw new Error(`${flag} needs a positive number`);
    if (flag === '--minutes') out.minutes = value;
    else if (flag === '--rate') out.rate = value;
    else if (flag === '--interval') out.interval = value;
    else throw new Error(`unknown argument ${flag} (use --minutes N --rate R [--interval S] [--prof DIR] [--entry BUNDLE])`);
  }
  return out;
}

/** Every Prometheus sample of `name` (label set → value). */
async function metrics(url: string): Promise<(name: string, labels?: string) => number | undefined> {
  const text = await (await fetch(`${url}/metrics`)).text();
  return (name, labels) => {
    const m = new RegExp(`^${name}${labels ? `\\{[^}]*${labels}[^}]*\\}` : '(?:\\{[^}]*\\})?'} ([0-9.eE+-]+)$`, 'm').exec(text);
    return m ? Number(m[1]) : undefined;
  };
}

const quantile = (xs: number[], q: number): number => {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
};

const { minutes, rate, interval, prof, entry } = args(process.argv.slice(2));
const dataDir = tmp('flowdesk-soak-data-');
const probeFile = join(tmp('flowdesk-soak-probe-'), 'probe.jsonl');
const flowsDir = tmp('flowdesk-soak-flows-');
mkdirSync(flowsDir, { recursive: true });
for (const n of ['state-map', 'lead-qualification', 'invoice-issue', 'invoicing-collections', 'client-onboarding']) cpSync(join(REPO, 'flows', `${n}.json`), join(flowsDir, `${n}.json`));
const nodeArgs = [...RUNTIME_NODE_FLAGS, '--import', join(REPO, 'bench/soak-probe.mjs'), ...(prof ? ['--cpu-prof', `--cpu-prof-dir=${prof}`] : [])];
const rt = await startChild(entry ?? runtimeEntry(), { FLOWDESK_DATA_DIR: dataDir, FLOWDESK_FLOWS_DIR: flowsDir, FLOWDESK_FSYNC: '1', FLOWDESK_LOG_LEVEL: 'warn', FLOWDESK_SOAK_PROBE: probeFile }, nodeArgs);
const generatorLoop = monitorEventLoopDelay({ resolution: 10 });
generatorLoop.enable();

/** The probe's lines written since the last call, folded into one interval's figures. */
let probeLinesRead = 0;
function probeWindow(): { loopMaxMs: number; stalls20: number; gcMaxMs: number; gcMaxKind: string; gcMs: number } {
  const lines = existsSync(probeFile) ? readFileSync(probeFile, 'utf8').split('\n').filter(Boolean) : [];
  const fresh = lines.slice(probeLinesRead).map((l) => JSON.parse(l) as { loopMaxMs: number; stalls20: number; gcMaxMs: number; gcMaxKind: string; gcMs: number });
  probeLinesRead = lines.length;
  const w = { loopMaxMs: 0, stalls20: 0, gcMaxMs: 0, gcMaxKind: '', gcMs: 0 };
  for (const l of fresh) {
    w.loopMaxMs = Math.max(w.loopMaxMs, l.loopMaxMs);
    w.stalls20 += l.stalls20;
    w.gcMs += l.gcMs;
    if (l.gcMaxMs > w.gcMaxMs) Object.assign(w, { gcMaxMs: l.gcMaxMs, gcMaxKind: l.gcMaxKind });
  }
  return w;
}
const agent = new Agent({ keepAlive: true, maxSockets: 64 });
const lead = new URL(`${rt.url}/hooks/lead`);
const invoice = new URL(`${rt.url}/api/flows/invoice-issue/run`);

function post(url: URL, body: string): Promise<number> {
  return new Promise((ok) => {
    const req = request(url, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      res.resume();
      res.on('end', () => ok(res.statusCode ?? 0));
    });
    req.on('error', () => ok(0));
    req.end(body);
  });
}

const tag = `${process.pid}-${Date.now()}`;
function event(i: number): { url: URL; body: string } {
  if (i % 50 === 49) {
    const n = Math.floor(i / 50);
    return { url: invoice, body: JSON.stringify({ payload: { invoiceId: `S-${tag}-${n}`, account: `inv${n}-${tag}@soak.example`, company: `Soak ${n}`, amount: 900 + (n % 100), currency: 'EUR', dueDate: '2099-01-31' } }) };
  }
  const kind = i % 3;
  const email = `lead${i}-${tag}@soak.example`;
  const body =
    kind === 0
      ? { email, name: `Hot ${i}`, company: `Hot ${i}`, source: 'referral', budget: 15000, timeline: 'now', message: 'We need our onboarding rebuilt this month, can you help?' }
      : kind === 1
        ? { email, name: `Mid ${i}`, company: `Mid ${i}`, source: 'form', budget: 6000 }
        : { email, source: 'other', budget: 10 };
  return { url: lead, body: JSON.stringify(body) };
}

interface Sample {
  t: number;
  sent: number;
  ok: number;
  shed: number;
  failed: number;
  p50: number;
  p99: number;
  max: number;
  heapMiB: number;
  rssMiB: number;
  backlog: number;
  reviews: number;
  /** the runtime's longest event-loop stall, its stalls over 20 ms, longest GC pause (kind), GC ms in all */
  loopMaxMs: number;
  stalls20: number;
  gcMaxMs: number;
  gcMaxKind: string;
  gcMs: number;
  /** the load generator's own longest event-loop delay (a client stall would inflate p99) */
  genLoopMaxMs: number;
  /** how long GET /metrics took (a Prometheus scrape) */
  scrapeMs: number;
  /** the runtime's CPU time (user + system) per accepted event in the interval: other load on the machine barely moves it */
  cpuMsPerEvent: number;
}

const cpuMsOf = (pid: number): number => processCpuUs(pid) / 1000;
let lastCpuMs = 0;
const samples: Sample[] = [];
let lat: number[] = [];
let counts = { sent: 0, ok: 0, shed: 0, failed: 0 };
const allLat: number[] = [];
const start = performance.now();
const total = Math.round(rate * minutes * 60);
const before = dataDirBytes(dataDir);
console.log(`soak — ${machine()}, load ${loadAvg()}; ${rate} events/s for ${minutes} min (${total} events), fsync on, runtime as npm start runs it`);
console.log('   t s     sent    2xx   503  other   p50 ms   p99 ms   max ms   heap MiB   RSS MiB   backlog   reviews | loop max  >20ms  GC max ms    GC ms | gen loop max | scrape ms  CPU ms/event');

let sampling = false;
async function sample(): Promise<void> {
  if (sampling) return;
  sampling = true;
  try {
    const scrapeStart = performance.now();
    const m = await metrics(rt.url);
    const scrapeMs = performance.now() - scrapeStart;
    const cpu = cpuMsOf(rt.proc.pid!);
    const s: Sample = {
      t: (performance.now() - start) / 1000,
      ...counts,
      p50: quantile(lat, 0.5),
      p99: quantile(lat, 0.99),
      max: lat.length ? Math.max(...lat) : NaN,
      heapMiB: (m('nodejs_heap_size_used_bytes') ?? NaN) / 2 ** 20,
      rssMiB: rssOf(rt.proc.pid!).rssMiB,
      backlog: m('flowdesk_queue_depth', 'queue="runner"') ?? NaN,
      reviews: m('flowdesk_queue_depth', 'queue="reviews"') ?? NaN,
      ...probeWindow(),
      genLoopMaxMs: generatorLoop.max / 1e6,
      scrapeMs,
      cpuMsPerEvent: (cpu - lastCpuMs) / Math.max(1, counts.ok),
    };
    lastCpuMs = cpu;
    generatorLoop.reset();
    samples.push(s);
    lat = [];
    counts = { sent: 0, ok: 0, shed: 0, failed: 0 };
    const f = (n: number, w: number, d = 0) => (Number.isNaN(n) ? '–' : n.toFixed(d)).padStart(w);
    console.log(`${f(s.t, 6)} ${f(s.sent, 8)} ${f(s.ok, 6)} ${f(s.shed, 5)} ${f(s.failed, 6)} ${f(s.p50, 8, 1)} ${f(s.p99, 8, 1)} ${f(s.max, 8, 1)} ${f(s.heapMiB, 10, 1)} ${f(s.rssMiB, 9, 1)} ${f(s.backlog, 9)} ${f(s.reviews, 9)} | ${f(s.loopMaxMs, 8, 0)} ${f(s.stalls20, 6)} ${f(s.gcMaxMs, 6, 0)} ${s.gcMaxKind.padEnd(5).slice(0, 5)} ${f(s.gcMs, 6, 0)} | ${f(s.genLoopMaxMs, 12, 0)} | ${f(s.scrapeMs, 9, 0)} ${f(s.cpuMsPerEvent, 12, 2)}`);
  } finally {
    sampling = false;
  }
}

lastCpuMs = cpuMsOf(rt.proc.pid!);
const ticker = setInterval(() => void sample(), interval * 1000);
const inflight = new Set<Promise<void>>();
for (let i = 0; i < total; i++) {
  const due = start + (i * 1000) / rate;
  const wait = due - performance.now();
  if (wait > 1) await new Promise((r) => setTimeout(r, wait));
  const e = event(i);
  counts.sent++;
  const p = post(e.url, e.body).then((status) => {
    // latency from the scheduled time: a stalled server cannot hide behind a slowed generator
    const ms = performance.now() - due;
    lat.push(ms);
    allLat.push(ms);
    if (status >= 200 && status < 300) counts.ok++;
    else if (status === 503) counts.shed++;
    else counts.failed++;
  });
  inflight.add(p);
  void p.finally(() => inflight.delete(p));
}
await Promise.all(inflight);
clearInterval(ticker);
await sample();
// let the backlog drain, then the disk cost of what was done
for (let i = 0; i < 120; i++) {
  const m = await metrics(rt.url);
  if ((m('flowdesk_queue_depth', 'queue="runner"') ?? 0) === 0) break;
  await new Promise((r) => setTimeout(r, 500));
}
const after = dataDirBytes(dataDir);
const accepted = samples.reduce((n, s) => n + s.ok, 0);
await rt.stop();
agent.destroy();
rmSync(dataDir, { recursive: true, force: true });
rmSync(flowsDir, { recursive: true, force: true });
rmSync(resolve(probeFile, '..'), { recursive: true, force: true });

const half = Math.floor(samples.length / 2);
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
const firstHalf = samples.slice(1, half);
const secondHalf = samples.slice(half);
const summary = {
  machine: machine(),
  minutes,
  rate,
  events: total,
  accepted,
  shed: samples.reduce((n, s) => n + s.shed, 0),
  failed: samples.reduce((n, s) => n + s.failed, 0),
  p99Ms: quantile(allLat, 0.99),
  worstIntervalP99Ms: Math.max(...samples.map((s) => s.p99).filter((x) => !Number.isNaN(x))),
  heapMiB: { firstHalfMean: mean(firstHalf.map((s) => s.heapMiB)), secondHalfMean: mean(secondHalf.map((s) => s.heapMiB)), max: Math.max(...samples.map((s) => s.heapMiB)) },
  rssMiB: { firstHalfMean: mean(firstHalf.map((s) => s.rssMiB)), secondHalfMean: mean(secondHalf.map((s) => s.rssMiB)), max: Math.max(...samples.map((s) => s.rssMiB)) },
  loopMaxMs: Math.max(...samples.map((s) => s.loopMaxMs)),
  stalls20: samples.reduce((n, s) => n + s.stalls20, 0),
  gcMaxMs: Math.max(...samples.map((s) => s.gcMaxMs)),
  genLoopMaxMs: Math.max(...samples.map((s) => s.genLoopMaxMs)),
  scrapeMsMax: Math.max(...samples.map((s) => s.scrapeMs)),
  cpuMsPerEvent: { firstHalfMean: mean(firstHalf.map((s) => s.cpuMsPerEvent)), secondHalfMean: mean(secondHalf.map((s) => s.cpuMsPerEvent)) },
  backlogMax: Math.max(...samples.map((s) => s.backlog).filter((x) => !Number.isNaN(x))),
  reviewsParked: samples[samples.length - 1]?.reviews,
  diskBytesPerRun: (after.total - before.total) / Math.max(1, accepted),
  runLineBytesPerRun: (after.runs - before.runs) / Math.max(1, accepted),
  samples,
};
console.log(
  `\np99 ${summary.p99Ms.toFixed(1)} ms overall, worst 10 s interval ${summary.worstIntervalP99Ms.toFixed(1)} ms (target ≤ 50); runtime's longest stall ${summary.loopMaxMs.toFixed(0)} ms (${summary.stalls20} over 20 ms), longest GC pause ${summary.gcMaxMs.toFixed(0)} ms, generator's longest stall ${summary.genLoopMaxMs.toFixed(0)} ms; slowest /metrics scrape ${summary.scrapeMsMax.toFixed(0)} ms; runtime CPU ${summary.cpuMsPerEvent.firstHalfMean.toFixed(2)} → ${summary.cpuMsPerEvent.secondHalfMean.toFixed(2)} ms per event; backlog max ${summary.backlogMax}; ` +
    `heap mean ${summary.heapMiB.firstHalfMean.toFixed(0)} → ${summary.heapMiB.secondHalfMean.toFixed(0)} MiB (max ${summary.heapMiB.max.toFixed(0)}), ` +
    `RSS ${summary.rssMiB.firstHalfMean.toFixed(0)} → ${summary.rssMiB.secondHalfMean.toFixed(0)} MiB (max ${summary.rssMiB.max.toFixed(0)}); ` +
    `${summary.reviewsParked} reviews parked; ${summary.shed} shed (503), ${summary.failed} other failures; disk ${(summary.diskBytesPerRun / 1024).toFixed(1)} KB per run (${(summary.runLineBytesPerRun / 1024).toFixed(1)} KB of it run lines)`,
);
console.log(`results: ${writeResult('soak', summary)}`);
