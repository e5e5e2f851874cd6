// npm run bench — rates, growth, memory and restart on the embedded lowdb store and on PostgreSQL (a
// throwaway server on loopback, a fresh database per runtime), the cluster's propagation on PostgreSQL,
// routing once; then one table of the figures against the targets of issue 18 (both stores' ratios to a
// bare Express route). Writes bench/results/all.json (and each part's own file).
//   BENCH_BACKENDS (lowdb,postgres), BENCH_PARTS (rates,growth,memory,restart,cluster,routing); every
//   part's own variables apply (BENCH_SECONDS, BENCH_ROUNDS, BENCH_RATES, BENCH_HISTORY, BENCH_RUNS,
//   BENCH_CHANGES, …)
import { formatHostCosts, measureHostCosts } from './host-costs.ts';
import { fmt, loadAvg, lowdbBackend, machine, postgresBackend, writeResult, type Backend } from './lib.ts';
import { printRates, runRates, type RatesResult } from './rates.ts';
import { printGrowth, runGrowth, type GrowthResult } from './growth.ts';
import { printMemory, runMemory, type MemoryResult } from './memory.ts';
import { printRouting, runRouting, type RoutingResult } from './routing.ts';
import { runRestart, type RestartResult } from './restart.ts';
import { printCluster, runCluster, type ClusterResult } from './cluster.ts';

const backends = (process.env.BENCH_BACKENDS ?? 'lowdb,postgres').split(',').filter(Boolean);
const parts = new Set((process.env.BENCH_PARTS ?? 'rates,growth,memory,restart,cluster,routing').split(',').filter(Boolean));

interface PerBackend {
  backend: string;
  durability?: string;
  rates?: RatesResult;
  growth?: GrowthResult;
  memory?: MemoryResult;
  restart?: RestartResult;
  cluster?: ClusterResult;
  errors: string[];
}

const started = Date.now();
const results: PerBackend[] = [];
let routing: RoutingResult | undefined;
const errors: string[] = [];
// the host's own costs before and after: a run's figures are read against the host they came from
const hostBefore = await measureHostCosts();
console.log(`host costs at the start: ${formatHostCosts(hostBefore)}`);

if (parts.has('routing')) {
  routing = runRouting();
  printRouting(routing);
  writeResult('routing', routing);
}

for (const name of backends) {
  const out: PerBackend = { backend: name, errors: [] };
  results.push(out);
  let backend: Backend;
  try {
    backend = name === 'postgres' ? await postgresBackend() : lowdbBackend();
    out.durability = backend.durability;
  } catch (e) {
    out.errors.push(`start ${name}: ${(e as Error).message}`);
    continue;
  }
  const suffix = name === 'lowdb' ? '' : `-${name}`;
  const part = async <T>(p: string, fn: () => Promise<T>, print: (r: T) => void): Promise<T | undefined> => {
    if (!parts.has(p)) return undefined;
    try {
      const r = await fn();
      print(r);
      writeResult(`${p}${suffix}`, r);
      return r;
    } catch (e) {
      out.errors.push(`${p}: ${(e as Error).stack ?? String(e)}`);
      console.error(`${name} ${p} failed: ${(e as Error).message}`);
      return undefined;
    }
  };
  try {
    out.rates = await part('rates', () => runRates(backend), printRates);
    out.growth = await part('growth', () => runGrowth(backend), printGrowth);
    out.memory = await part('memory', () => runMemory(backend), printMemory);
    out.restart = await part('restart', () => runRestart({ backend }), (r) =>
      console.log(`\nrestart after SIGKILL with ${r.runs} finished runs (${name}), as the systemd unit restarts it: /healthz ${r.healthzMedianMs} ms, first webhook ${r.webhookMedianMs} ms after the kill (median of ${r.rounds.length}; RestartSec ${r.restartSecMs} ms, build check ${r.preMedianMs} ms, runtime ${r.runtimeMedianMs} ms)`),
    );
    // several instances share only a database
    if (name === 'postgres') out.cluster = await part('cluster', () => runCluster(backend), printCluster);
  } finally {
    await backend.close();
  }
  errors.push(...out.errors.map((e) => `${name} ${e}`));
}

// ── the table ──
const mb = (mib: number | undefined) => (mib === undefined ? undefined : (mib * 2 ** 20) / 1e6);
interface Row {
  figure: string;
  target: string;
  values: (number | undefined)[];
  unit: string;
  digits?: number;
  /** met or not for this backend; undefined: no target for it */
  ok?: (v: number, backend: string) => boolean | undefined;
}
const by = (f: (r: PerBackend) => number | undefined) => results.map(f);
// issue 18's targets (the lowdb/PostgreSQL ratio targets differ; p99 is the embedded store's)
const rows: Row[] = [
  { figure: 'flowdesk / express 5 at saturation', target: '≥90% | ≥50%', unit: '%', values: by((r) => r.rates?.vsExpressPct), ok: (v, b) => v >= (b === 'postgres' ? 50 : 90) },
  { figure: 'p99 at 1,000 events/s (median of rounds)', target: '≤ 5 ms (lowdb)', unit: 'ms', digits: 1, values: by((r) => r.rates?.p99At1000), ok: (v, b) => (b === 'lowdb' ? v <= 5 : undefined) },
  { figure: 'rate with 100k runs / empty store', target: '≥ 90%', unit: '%', values: by((r) => r.growth?.ratioPct), ok: (v) => v >= 90 },
  { figure: 'RSS after 100k runs (settled)', target: '≤ 200 MB', unit: 'MB', values: by((r) => mb(r.memory?.rssSettled)), ok: (v) => v <= 200 },
  { figure: 'restart after SIGKILL (100k runs): /healthz', target: '≤ 2000 ms', unit: 'ms', values: by((r) => r.restart?.healthzMedianMs), ok: (v) => v <= 2000 },
  { figure: '… and a webhook answered', target: '≤ 2000 ms', unit: 'ms', values: by((r) => r.restart?.webhookMedianMs), ok: (v) => v <= 2000 },
  { figure: 'change on one instance served by the others (max)', target: '≤ 1000 ms', unit: 'ms', values: by((r) => r.cluster?.propagationMs.max), ok: (v) => v <= 1000 },
  { figure: 'flowdesk accepted events/s (saturation)', target: '', unit: '/s', values: by((r) => r.rates?.saturation.acceptedPerSec) },
  { figure: 'flowdesk completed runs/s (saturation)', target: '', unit: '/s', values: by((r) => r.rates?.saturation.completedPerSec) },
  { figure: 'flowdesk p50 / max at saturation', target: '', unit: 'ms', values: by((r) => r.rates?.saturation.p50) },
  { figure: '', target: '', unit: 'ms', values: by((r) => r.rates?.saturation.max) },
  { figure: 'all runs terminal after the load (sat.)', target: '', unit: 's', digits: 1, values: by((r) => r.rates?.saturation.drainS) },
  { figure: 'express 5 events/s (same run)', target: '', unit: '/s', values: by((r) => r.rates?.express.acceptedPerSec) },
  { figure: 'node:http events/s (same run)', target: '', unit: '/s', values: by((r) => r.rates?.nodeHttp.acceptedPerSec) },
  { figure: 'flowdesk / node:http', target: '', unit: '%', values: by((r) => r.rates?.vsNodeHttpPct) },
  { figure: 'p50 at 1,000 events/s (the median p99 round)', target: '', unit: 'ms', digits: 1, values: by((r) => r.rates?.fixed.find((p) => p.target === 1000)?.p50) },
  { figure: 'p99 at 1,000/s from each send (not its schedule)', target: '', unit: 'ms', digits: 1, values: by((r) => r.rates?.fixed.find((p) => p.target === 1000)?.fromSend?.p99) },
  { figure: 'p99 at 1,000/s timed inside the runtime', target: '', unit: 'ms', digits: 1, values: by((r) => r.rates?.fixed.find((p) => p.target === 1000)?.inside?.answerP99) },
  { figure: 'p99 at 1,000/s of bare express 5 (same rounds, median)', target: '', unit: 'ms', digits: 1, values: by((r) => r.rates?.expressP99At1000) },
  { figure: 'saturation rate, empty store', target: '', unit: '/s', values: by((r) => r.growth?.cases.find((c) => c.history === 0)?.acceptedPerSec) },
  { figure: 'saturation rate, 100k runs + 10k records', target: '', unit: '/s', values: by((r) => r.growth?.cases.find((c) => c.history === 100_000)?.acceptedPerSec) },
  { figure: 'RSS 5 s after 100k runs', target: '', unit: 'MB', values: by((r) => mb(r.memory?.rssAt5s)) },
  { figure: 'peak RSS during 100k runs', target: '', unit: 'MB', values: by((r) => mb(r.memory?.rssPeak)) },
  { figure: 'change served by the others (p50)', target: '', unit: 'ms', values: by((r) => r.cluster?.propagationMs.p50) },
];

console.log(`\nFlowdesk benchmarks vs the targets — ${machine()}, load average now ${loadAvg()}, load generator on the same machine`);
const w = 52;
const tw = 16;
console.log(`${'figure'.padEnd(w)}${'target'.padEnd(tw)}${results.map((r) => r.backend.padStart(18)).join('')}`);
for (const row of rows) {
  const cells = row.values.map((v, i) => {
    if (v === undefined || Number.isNaN(v)) return '–'.padStart(18);
    const met = row.ok?.(v, results[i]!.backend);
    const mark = met === undefined ? '' : met ? ' met' : ' NOT met';
    return `${v.toFixed(row.digits ?? 0)} ${row.unit}${mark}`.padStart(18);
  });
  console.log(`${row.figure.padEnd(w)}${row.target.padEnd(tw)}${cells.join('')}`);
}
if (routing) {
  const worst = routing.cases.find((c) => c.name.startsWith('default'));
  console.log(
    `${'routing, 20-rule route (one core)'.padEnd(w)}${''.padEnd(10)}${fmt(routing.singleRuleEvaluationsPerSec, 0)} rule evaluations/s; ${fmt(worst?.decisionsPerSec, 0)} decisions/s and ${fmt(worst?.advancesPerSec, 0)} advance()/s when all 20 rules are evaluated`,
  );
}
const hostAfter = await measureHostCosts();
console.log(`host costs at the end: ${formatHostCosts(hostAfter)}`);
console.log(`(durability — ${results.map((r) => `${r.backend}: ${r.durability ?? '?'}`).join('; ')}. PostgreSQL's RSS is the runtime child's; its server shares this machine)`);
const minutes = ((Date.now() - started) / 60_000).toFixed(1);
console.log(`\n${minutes} min; results: ${writeResult('all', { machine: machine(), loadAvg: loadAvg(), hostCosts: { before: hostBefore, after: hostAfter }, minutes: Number(minutes), routing, results, table: rows.map((r) => ({ figure: r.figure, target: r.target, unit: r.unit, values: Object.fromEntries(results.map((b, i) => [b.backend, r.values[i]])) })) })}`);
if (errors.length) {
  console.error(`\n${errors.length} part(s) failed:\n${errors.join('\n')}`);
  process.exitCode = 1;
}
