// npm run bench:routing — JSON-Logic evaluations per second for a 20-rule route node, with the engine
// the runtime uses (@flowdesk/engine): single rule evaluations (evaluateLogic), whole route decisions
// (rules in order, first match wins — the worst case falls through all 20 to the default), and
// `advance` over a flow whose route node has 20 rules (what the runtime calls per run: cloning the run,
// building the context, routing, following the edge, ending).
//   BENCH_ROUTING_MS (2000) per case
import type { Flow, Run } from '@flowdesk/schema';
import { validateFlow } from '@flowdesk/schema';
import { advance, evaluateLogic, newRun, truthy } from '@flowdesk/engine';
import { envNum, fmt, isMain, loadAvg, machine, writeResult } from './lib.ts';

const REGIONS = ['emea', 'amer', 'apac', 'latam', 'dach'];
/** 20 rules of the kinds lead routing uses: comparisons, and/or, in, string operators, nested vars. */
export function twentyRules(): { port: string; when: unknown }[] {
  const rules: { port: string; when: unknown }[] = [];
  for (let i = 0; i < 20; i++) {
    const region = REGIONS[i % REGIONS.length]!;
    const when =
      i % 4 === 0
        ? { and: [{ '==': [{ var: 'payload.region' }, region] }, { '>=': [{ var: 'payload.budget' }, 10_000 + i * 1000] }] }
        : i % 4 === 1
          ? { and: [{ in: [{ var: 'payload.source' }, ['partner', `event-${i}`, 'referral']] }, { '<': [{ var: 'vars.fit' }, 10 + i] }] }
          : i % 4 === 2
            ? { or: [{ '==': [{ lower: { var: 'payload.company.country' } }, `c${i}`] }, { '>': [{ var: 'payload.employees' }, 100_000 + i] }] }
            : { and: [{ '!!': { var: 'payload.phone' } }, { '==': [{ var: 'payload.tier' }, `tier-${i}`] }, { '>=': [{ var: 'vars.fit' }, 50 + i] }] };
    rules.push({ port: `p${i}`, when });
  }
  return rules;
}

export function routeFlow(): Flow {
  const rules = twentyRules();
  return {
    dsl: 1,
    id: 'bench-route',
    name: 'Bench route (20 rules)',
    version: 1,
    trigger: { type: 'manual' },
    nodes: [
      { id: 'route', type: 'route', rules, default: 'other' },
      ...rules.map((r) => ({ id: `end-${r.port}`, type: 'end' as const })),
      { id: 'end-other', type: 'end' },
    ],
    edges: [
      { from: 'trigger', to: 'route' },
      ...rules.map((r) => ({ from: 'route', port: r.port, to: `end-${r.port}` })),
      { from: 'route', port: 'other', to: 'end-other' },
    ],
  } as unknown as Flow;
}

/** Payloads that stop at rule 0, rule 10, rule 19, and fall through to the default. */
function payloads(): { name: string; payload: Record<string, unknown>; vars: Record<string, unknown> }[] {
  const base = { email: 'ada@example.com', region: 'nowhere', budget: 100, source: 'web', company: { country: 'XX' }, employees: 12, phone: '', tier: 'none' };
  return [
    { name: 'match rule 1', payload: { ...base, region: 'emea', budget: 50_000 }, vars: { fit: 80 } },
    { name: 'match rule 11', payload: { ...base, company: { country: 'C10' } }, vars: { fit: 80 } },
    { name: 'match rule 20', payload: { ...base, phone: '+49 1', tier: 'tier-19' }, vars: { fit: 80 } },
    { name: 'default (all 20 false)', payload: base, vars: { fit: 80 } },
  ];
}

function timeIt(ms: number, fn: () => number): { ops: number; perSec: number; inner: number } {
  // warm up
  const wEnd = performance.now() + Math.min(300, ms / 4);
  while (performance.now() < wEnd) fn();
  let ops = 0;
  let inner = 0;
  const start = performance.now();
  let now = start;
  while (now - start < ms) {
    for (let i = 0; i < 200; i++) inner += fn();
    ops += 200;
    now = performance.now();
  }
  const s = (now - start) / 1000;
  return { ops, perSec: ops / s, inner: inner / s };
}

export interface RoutingCase {
  name: string;
  rulesEvaluated: number;
  /** route decisions (or advances) per second */
  decisionsPerSec: number;
  /** JSON-Logic rule evaluations per second */
  evaluationsPerSec: number;
  advancesPerSec: number;
}

export interface RoutingResult {
  machine: string;
  loadAvg: number;
  ms: number;
  singleRuleEvaluationsPerSec: number;
  cases: RoutingCase[];
}

export function runRouting(o: { ms?: number } = {}): RoutingResult {
  const ms = o.ms ?? envNum('BENCH_ROUTING_MS', 2000);
  const flow = routeFlow();
  const v = validateFlow(flow as unknown) as { ok?: boolean; valid?: boolean; errors?: unknown[] };
  if (v.errors && v.errors.length) throw new Error(`bench route flow is invalid: ${JSON.stringify(v.errors).slice(0, 500)}`);
  const rules = twentyRules();
  const now = '2026-01-01T00:00:00.000Z';
  const cases: RoutingCase[] = [];
  const dflt = payloads()[3]!;
  const dfltCtx = { payload: dflt.payload, headers: {}, vars: dflt.vars, record: null, run: { id: 'r', flowId: 'bench-route', startedAt: now }, now };
  // one rule at a time, round robin over all 20
  let k = 0;
  const single = timeIt(ms, () => {
    evaluateLogic(rules[k++ % 20]!.when, dfltCtx);
    return 1;
  });
  for (const p of payloads()) {
    const ctx = { payload: p.payload, headers: {}, vars: p.vars, record: null, run: { id: 'r', flowId: 'bench-route', startedAt: now }, now };
    const decide = (): number => {
      for (let i = 0; i < rules.length; i++) if (truthy(evaluateLogic(rules[i]!.when, ctx))) return i + 1;
      return rules.length;
    };
    const rulesEvaluated = decide();
    const d = timeIt(ms, decide);
    const run: Run = { ...newRun(flow, { id: 'run-1', payload: p.payload, now, idempotencyKey: null, trigger: { type: 'manual' } }), vars: p.vars };
    const first = advance(flow, run, { now });
    if (first.run.status !== 'succeeded') throw new Error(`advance ended ${first.run.status}: ${first.run.error ?? ''}`);
    const a = timeIt(ms, () => (advance(flow, run, { now }), 1));
    cases.push({ name: `${p.name} → ${first.run.steps[0]?.port}`, rulesEvaluated, decisionsPerSec: d.perSec, evaluationsPerSec: d.inner, advancesPerSec: a.perSec });
  }
  return { machine: machine(), loadAvg: loadAvg(), ms, singleRuleEvaluationsPerSec: single.perSec, cases };
}

export function printRouting(r: RoutingResult): void {
  console.log(`\nrouting — ${r.machine}, load average ${r.loadAvg}, ${r.ms} ms per case, one thread`);
  console.log(`single rule evaluations (evaluateLogic, 20 rules round robin): ${fmt(r.singleRuleEvaluationsPerSec, 0)}/s`);
  console.log('case                               rules evaluated   route decisions/s   rule evaluations/s   advance()/s');
  for (const c of r.cases) {
    console.log(`${c.name.padEnd(35)}${fmt(c.rulesEvaluated, 15)}   ${fmt(c.decisionsPerSec, 17)}   ${fmt(c.evaluationsPerSec, 18)}   ${fmt(c.advancesPerSec, 11)}`);
  }
}

if (isMain(import.meta.filename)) {
  const r = runRouting();
  printRouting(r);
  console.log(`results: ${writeResult('routing', r)}`);
}
