// KPI facts in the store, and the KPIs / weekly report read from it.
//
// A finished run leaves a RunFact in the `kpiFacts` collection (id `run:<runId>`, written again if the
// run is replayed to a new end). Retention prunes runs, never facts, so KPIs over a year still work.
// Collection lag reads the `invoice` records' history, reviews and rejected events their own
// collections; none of those are pruned with runs.
import {
  computeKpis,
  failureGroups,
  runFactFromRun,
  slowestSteps,
  type Baseline,
  type KpiInput,
  type KpiResult,
  type RunFact,
  type Transition,
} from '@flowdesk/engine';
import { isoWeekRange, weeklyReport } from '@flowdesk/engine';
import { isTerminal, type Flow, type Run } from '@flowdesk/schema';
import type { Store } from '../store/types.ts';
import type { QueueDepths } from './metrics.ts';

export const RUN_FACT_PREFIX = 'run:';
export const BASELINE_SETTING_ID = 'kpi-baseline';

type FactDoc = RunFact & { id: string; kind: 'run' };

/**
 * Writes the KPI fact of a finished run, derived with the flow version it ran on (`flow`, or looked up
 * by run.flowVersion). Unfinished runs: nothing.
 */
export async function recordRunFact(store: Store, run: Run, flow?: Flow): Promise<RunFact | undefined> {
  if (!isTerminal(run.status)) return undefined;
  const doc = flow ?? (await store.getFlow(run.flowId, run.flowVersion))?.doc;
  if (!doc) return undefined;
  const fact = runFactFromRun(run, doc);
  await store.putDoc('kpiFacts', { id: RUN_FACT_PREFIX + run.id, kind: 'run', ...fact });
  return fact;
}

export async function listRunFacts(store: Store): Promise<RunFact[]> {
  const docs = await store.listDocs('kpiFacts');
  const out: RunFact[] = [];
  for (const d of docs) {
    if (d.kind !== 'run') continue;
    const { id: _id, kind: _kind, ...fact } = d as unknown as FactDoc;
    out.push(fact);
  }
  return out;
}

/**
 * Makes sure every finished run in the store has its fact (runs finished before facts were recorded,
 * or a crash between the run's last save and its fact). Call before pruning. Returns how many it wrote.
 * With `endedFrom`, only the runs that ended at or after it are looked at.
 */
export async function backfillRunFacts(store: Store, pageSize = 500, endedFrom?: string): Promise<number> {
  // every fact's id at once for the whole history; for a window, each candidate's own fact is looked up
  const have = endedFrom === undefined ? new Set((await store.listDocs('kpiFacts')).map((d) => d.id)) : undefined;
  const lacksFact = async (run: Run): Promise<boolean> =>
    have ? !have.has(RUN_FACT_PREFIX + run.id) : (await store.getDoc('kpiFacts', RUN_FACT_PREFIX + run.id)) === undefined;
  let written = 0;
  let before: string | undefined;
  for (;;) {
    const page = await store.listRuns({ limit: pageSize, ...(before ? { before } : {}), ...(endedFrom ? { endedFrom } : {}) });
    if (page.length === 0) break;
    // a page's facts together: one journal write for the page, not one (and an interval's wait) per fact
    const finished = page.filter((run) => isTerminal(run.status));
    const lacking = await Promise.all(finished.map(lacksFact));
    const missing = finished.filter((_, i) => lacking[i]);
    written += (await Promise.all(missing.map((run) => recordRunFact(store, run)))).filter(Boolean).length;
    before = page[page.length - 1].id;
    if (page.length < pageSize) break;
  }
  return written;
}

/** The founder's before-automation figures, kept in settings. */
export async function getBaseline(store: Store): Promise<Baseline | undefined> {
  const doc = await store.getDoc('settings', BASELINE_SETTING_ID);
  if (!doc) return undefined;
  const b: Baseline = {};
  for (const k of ['leadResponseMedianMinutes', 'weeklyManualHours', 'failureRate', 'collectionDays'] as const) {
    const v = doc[k];
    if (typeof v === 'number' && Number.isFinite(v)) b[k] = v;
  }
  return b;
}

export async function setBaseline(store: Store, b: Baseline): Promise<void> {
  for (const [k, v] of Object.entries(b)) {
    if (v !== undefined && (typeof v !== 'number' || !Number.isFinite(v) || v < 0)) throw new RangeError(`baseline ${k} must be a non-negative number`);
  }
  await store.putDoc('settings', { id: BASELINE_SETTING_ID, ...b });
}

export async function queueDepths(store: Store): Promise<QueueDepths> {
  // counted, never listed: a scrape's work must not grow with what is parked
  const [timers, deadLetters, reviews] = await Promise.all([store.countTimers(), store.countDocs('deadLetters', 'open'), store.countDocs('reviews', 'open')]);
  return { timers, deadLetters, reviews };
}

/** Everything computeKpis needs for [from, to), read from the store (without a baseline). */
export async function kpiInputFromStore(store: Store, period: { from: string; to: string }): Promise<KpiInput> {
  const [runs, invoices, reviews, rejected, deadLetters] = await Promise.all([
    listRunFacts(store),
    store.listRecords({ entity: 'invoice' }),
    store.listDocs('reviews'),
    store.listRejected({ since: period.from, limit: Number.MAX_SAFE_INTEGER }),
    store.listDocs('deadLetters'),
  ]);
  const transitions: Transition[] = invoices.flatMap((r) => r.history.map((h) => ({ entity: r.entity, key: r.key, from: h.from, to: h.to, at: h.at })));
  return {
    from: period.from,
    to: period.to,
    runs,
    transitions,
    reviews,
    rejected,
    deadLettersOpen: deadLetters.filter((d) => d.status === 'open').length,
    reviewsOpen: reviews.filter((r) => r.status === 'open').length,
  };
}

/**
 * KPIs for [from, to). Baseline: the earlier period [baselineFrom, baselineTo) when both are given,
 * else an explicit `baseline`, else the founder's figures from settings (none → met is null where the
 * target is a change).
 */
export async function kpisFromStore(
  store: Store,
  q: { from: string; to: string; baselineFrom?: string; baselineTo?: string; baseline?: Baseline; tz?: string },
): Promise<KpiResult> {
  const input = await kpiInputFromStore(store, q);
  input.tz = q.tz;
  if (q.baselineFrom && q.baselineTo) {
    const earlier = computeKpis({ ...(await kpiInputFromStore(store, { from: q.baselineFrom, to: q.baselineTo })) });
    input.baseline = { period: earlier };
  } else {
    const b = q.baseline ?? (await getBaseline(store));
    if (b) input.baseline = b;
  }
  return computeKpis(input);
}

/** The weekly review for an ISO week (`YYYY-Www`), ages measured at `now`. */
export async function weeklyReportFromStore(store: Store, q: { week: string; now: string }): Promise<{ markdown: string; html: string; kpis: KpiResult }> {
  const { from, to } = isoWeekRange(q.week);
  const kpis = await kpisFromStore(store, { from, to });
  const facts = await listRunFacts(store);
  const [deadLetters, reviews, flows] = await Promise.all([store.listDocs('deadLetters'), store.listDocs('reviews'), store.listFlows()]);
  const fromMs = Date.parse(from);
  const toMs = Date.parse(to);
  const inWeek = facts.filter((f) => {
    const t = Date.parse(f.startedAt);
    return t >= fromMs && t < toMs;
  });
  const flowRows = flows
    .filter((f) => f.active)
    .map((f) => {
      const runs = inWeek.filter((r) => r.flowId === f.id);
      const perRun =
        runs.length > 0 ? runs.reduce((s, r) => s + r.minutesSaved, 0) / runs.length : f.doc.nodes.reduce((s, n) => s + (n.minutesSaved ?? 0), 0);
      return { id: f.id, name: f.doc.name, runs: runs.length, minutesSavedPerRun: perRun };
    });
  const report = weeklyReport({
    week: q.week,
    kpis,
    failures: failureGroups(facts, from, to),
    // what was waiting at `now` (a report for an earlier week leaves out items that came later)
    deadLetters: deadLetters.filter((d) => d.status === 'open' && d.createdAt <= q.now).map((d) => ({ id: d.id, flowId: d.flowId, nodeId: d.nodeId, createdAt: d.createdAt })),
    reviews: reviews.filter((r) => r.status === 'open' && r.createdAt <= q.now).map((r) => ({ id: r.id, queue: r.queue, title: r.title, createdAt: r.createdAt })),
    slowestSteps: slowestSteps(facts, from, to, 10),
    flows: flowRows,
    now: q.now,
  });
  return { ...report, kpis };
}

export const DEFAULT_RETENTION_DAYS = 30;

/**
 * The daily retention job's work: make sure every finished run has its KPI fact, then prune finished
 * runs that ended more than `days` (FLOWDESK_RETENTION_DAYS, default 30) before `now`. The facts stay,
 * so KPIs over the pruned period do not change. `factsEndedFrom`: look for missing facts only among runs
 * that ended since then (the live path writes every fact; one is missing only when the process died just
 * after its run ended) — without it, every stored run is read.
 */
export async function runRetention(store: Store, q: { now: string; days?: number; factsEndedFrom?: string }): Promise<{ factsWritten: number; pruned: number; before: string }> {
  const days = q.days ?? DEFAULT_RETENTION_DAYS;
  if (!Number.isFinite(days) || days < 0) throw new RangeError(`retention days must be a non-negative number, got ${days}`);
  const before = new Date(Date.parse(q.now) - days * 86_400_000).toISOString();
  const factsWritten = await backfillRunFacts(store, 500, q.factsEndedFrom);
  const pruned = await store.pruneRuns(before);
  return { factsWritten, pruned, before };
}

/** FLOWDESK_RETENTION_DAYS from the environment (default 30); a bad value is refused by name. */
export function retentionDaysFromEnv(env: Record<string, string | undefined>): number {
  const raw = env.FLOWDESK_RETENTION_DAYS;
  if (raw === undefined || raw === '') return DEFAULT_RETENTION_DAYS;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`FLOWDESK_RETENTION_DAYS must be a whole number of days ≥ 1, got "${raw}"`);
  return n;
}
