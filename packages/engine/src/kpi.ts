// KPI maths (the guide's Step 6): pure functions over KPI facts. No I/O, no clock — the period and
// every time come in as ISO strings.
//
// Conventions, applied to every KPI:
// - A period is the half-open interval [from, to). A run belongs to the period when its `startedAt` is
//   in it; a review when its `resolvedAt` is (for time-to-resolve); a rejected event by its `at`; an
//   invoice by the time it was paid.
// - Medians and percentiles use LINEAR INTERPOLATION between closest ranks (Hyndman & Fan type 7, the
//   default of numpy.percentile and Excel PERCENTILE.INC): over the n sorted values x[0..n-1], the
//   p-quantile is at rank h = (n-1)·p, value x[⌊h⌋] + (h-⌊h⌋)·(x[⌊h⌋+1] - x[⌊h⌋]). So the median of an even
//   count is the mean of the two middle values, and a single sample is its own median and p90.
// - An empty sample gives null, never NaN; a KPI's `met` is null when there is no data or, for targets
//   stated as a change against the baseline, no baseline.
// - "Finished" runs are succeeded + failed + dead. Cancelled runs (by the owner, or by a flow's cancelOn,
//   e.g. a paid invoice stopping its reminders) are neither a success nor a failure of the automation
//   and are left out of the failure rate.
//
// Targets (from the guide's table; where it gives a range we hold the lower, easier end as "met"):
// - lead response SLA: median minutes from capture to first response down 40–70% vs baseline → met when
//   (baseline - median) / baseline ≥ 40%.
// - manual ops hours: 6–12 h/week reclaimed → met when hours reclaimed per week ≥ 6. The measurement is
//   itself the reduction (minutesSaved is the manual time each automated step replaces), so `met` does
//   not need a baseline; the founder's weekly manual hours are shown for context.
// - automation failure rate: under 2–3% on critical paths → met when every critical flow that finished
//   runs in the period is at or below 2% (a critical flow above 2% is flagged). When no flow in the
//   period is critical, the rule applies to the overall rate. The headline value is the rate over
//   critical flows (overall when none is critical).
// - cash collection lag: median invoice-issued→paid days down 15–30% vs baseline → met when
//   (baseline - median) / baseline ≥ 15%.
import type { Flow, FlowNode, RejectedEvent, ReviewItem, Run, RunStatus } from '@flowdesk/schema';
import { isoWeekOf, isoWeekRange } from './week.ts';

export type TerminalStatus = Extract<RunStatus, 'succeeded' | 'dead' | 'failed' | 'cancelled'>;

/** What a finished run contributes to the KPIs; kept after the run itself is pruned. */
export interface RunFact {
  runId: string;
  flowId: string;
  critical: boolean;
  status: TerminalStatus;
  startedAt: string;
  endedAt: string;
  /** sum of minutesSaved over the run's succeeded steps */
  minutesSaved: number;
  /** endedAt of the first succeeded step of a node marked firstResponse */
  firstResponseAt?: string;
  /** run.createdAt, for runs of a flow that has a firstResponse node */
  leadCapturedAt?: string;
  /** work time per finished step: the sum of its attempts' durations, else endedAt - startedAt; wait and review nodes left out */
  stepDurations: { nodeId: string; ms: number }[];
  /** where and why a dead or failed run stopped */
  failure?: { nodeId: string; error: string };
  /** the steps passed over because their connection is not set up (nothing went out) */
  notConfigured?: string[];
}

export interface Transition {
  entity: string;
  key: string;
  from: string | null;
  to: string;
  at: string;
}

/** The founder's before-automation figures (the guide's "Baseline" column). */
export interface Baseline {
  leadResponseMedianMinutes?: number;
  weeklyManualHours?: number;
  /** a fraction: 0.05 = 5% */
  failureRate?: number;
  collectionDays?: number;
}

export interface KpiInput {
  from: string;
  to: string;
  runs: RunFact[];
  transitions: Transition[];
  reviews: ReviewItem[];
  rejected: RejectedEvent[];
  deadLettersOpen: number;
  reviewsOpen: number;
  baseline?: Baseline | { period: KpiResult };
  /** IANA time zone for the weekly and monthly buckets (default UTC); durations are unaffected */
  tz?: string;
}

export interface KpiTarget {
  /** the guide's wording */
  text: string;
  /** the rule `met` applies */
  rule: string;
  threshold: number;
}

export interface HeadlineKpi {
  value: number | null;
  unit: 'minutes' | 'hours/week' | 'ratio' | 'days';
  baseline: number | null;
  baselineSource: 'founder' | 'period' | null;
  /** value - baseline (for manual hours against the founder's figure: -value, the hours taken off) */
  change: number | null;
  /** change / baseline × 100 */
  changePct: number | null;
  target: KpiTarget;
  met: boolean | null;
}

export interface FlowFailure {
  flowId: string;
  critical: boolean;
  finished: number;
  succeeded: number;
  failed: number;
  dead: number;
  cancelled: number;
  rate: number | null;
  /** critical and above 2% */
  flagged: boolean;
}

export interface KpiResult {
  from: string;
  to: string;
  leadResponse: HeadlineKpi & { samples: number; medianMinutes: number | null; p90Minutes: number | null };
  manualHours: HeadlineKpi & {
    minutesSaved: number;
    hoursReclaimed: number;
    /** hoursReclaimed / (period length in weeks) */
    hoursPerWeek: number | null;
    /** every ISO week overlapping the period (in `tz`), runs attributed by startedAt */
    perWeek: { week: string; hours: number; runs: number }[];
  };
  reviewQueue: { open: number; createdInPeriod: number; resolvedInPeriod: number; medianResolveMinutes: number | null };
  failureRate: HeadlineKpi & {
    finished: number;
    failed: number;
    dead: number;
    overallRate: number | null;
    criticalRate: number | null;
    perFlow: FlowFailure[];
  };
  collectionLag: HeadlineKpi & {
    samples: number;
    medianDays: number | null;
    /** every calendar month (in `tz`) overlapping the period, invoices by month paid */
    perMonth: { month: string; samples: number; medianDays: number | null }[];
  };
  rejectedByReason: { reason: string; count: number }[];
  deadLettersOpen: number;
  reviewsOpen: number;
  runDurationByFlow: { flowId: string; runs: number; medianMs: number | null }[];
  /** runs that passed over a step whose connection is not set up: work that did not go out */
  notConfigured: { runs: number; perFlow: { flowId: string; runs: number; nodeIds: string[] }[] };
}

export const TARGETS = {
  leadResponse: { text: 'Lead response SLA down 40–70% vs baseline', rule: 'median reduction ≥ 40%', threshold: 0.4 },
  manualHours: { text: 'Manual ops hours down 6–12 h/week', rule: 'hours reclaimed per week ≥ 6', threshold: 6 },
  failureRate: { text: 'Automation failure rate below 2–3% on critical paths', rule: 'every critical flow ≤ 2%', threshold: 0.02 },
  collectionLag: { text: 'Cash collection lag down 15–30% vs baseline', rule: 'median reduction ≥ 15%', threshold: 0.15 },
} as const satisfies Record<string, KpiTarget>;

const MIN = 60_000;
const DAY = 86_400_000;
const WEEK = 7 * DAY;

// ── statistics ────────────────────────────────────────────────────────────────────────────────────

/** p-quantile (0 ≤ p ≤ 1) by linear interpolation between closest ranks (type 7); null when empty. */
export function quantile(values: readonly number[], p: number): number | null {
  if (values.length === 0) return null;
  if (!(p >= 0 && p <= 1)) throw new RangeError(`quantile p must be in [0, 1], got ${p}`);
  const xs = [...values].sort((a, b) => a - b);
  const h = (xs.length - 1) * p;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, xs.length - 1);
  return xs[lo] + (h - lo) * (xs[hi] - xs[lo]);
}

export const median = (values: readonly number[]): number | null => quantile(values, 0.5);

const inPeriod = (iso: string | undefined, fromMs: number, toMs: number): boolean => {
  if (!iso) return false;
  const t = Date.parse(iso);
  return t >= fromMs && t < toMs;
};

// the same text twice (a pure step starts and ends at the same instant) is parsed once
const msBetween = (a: string, b: string): number => {
  const tb = Date.parse(b);
  return a === b ? tb - tb : tb - Date.parse(a);
};

/** A flow version's nodes by id and whether one marks the first response, worked out once per flow object. */
const flowFacts = new WeakMap<Flow, { nodes: Map<string, FlowNode>; hasFirstResponse: boolean }>();
function factsOf(flow: Flow): { nodes: Map<string, FlowNode>; hasFirstResponse: boolean } {
  let f = flowFacts.get(flow);
  if (!f) {
    f = { nodes: new Map<string, FlowNode>(flow.nodes.map((n) => [n.id, n])), hasFirstResponse: flow.nodes.some((n) => n.firstResponse === true) };
    flowFacts.set(flow, f);
  }
  return f;
}

// ── facts from runs ───────────────────────────────────────────────────────────────────────────────

/** Derives the KPI fact of a finished run from the run and the flow version it ran on. */
export function runFactFromRun(run: Run, flow: Flow): RunFact {
  const status = run.status;
  if (status !== 'succeeded' && status !== 'dead' && status !== 'failed' && status !== 'cancelled') {
    throw new Error(`run ${run.id} is not finished (status ${status})`);
  }
  const { nodes, hasFirstResponse } = factsOf(flow);
  let minutesSaved = 0;
  let firstResponseAt: string | undefined;
  const stepDurations: RunFact['stepDurations'] = [];
  for (const step of run.steps) {
    const node = nodes.get(step.nodeId);
    if (step.status === 'succeeded') {
      minutesSaved += node?.minutesSaved ?? 0;
      if (node?.firstResponse === true && step.endedAt) {
        if (firstResponseAt === undefined || Date.parse(step.endedAt) < Date.parse(firstResponseAt)) firstResponseAt = step.endedAt;
      }
    }
    if ((step.status === 'succeeded' || step.status === 'failed') && node && node.type !== 'wait' && node.type !== 'review') {
      const ms =
        step.attempts.length > 0
          ? step.attempts.reduce((s, a) => s + a.durationMs, 0)
          : step.endedAt
            ? Math.max(0, msBetween(step.startedAt, step.endedAt))
            : undefined;
      if (ms !== undefined) stepDurations.push({ nodeId: step.nodeId, ms });
    }
  }
  const fact: RunFact = {
    runId: run.id,
    flowId: run.flowId,
    critical: flow.critical === true,
    status,
    startedAt: run.startedAt,
    endedAt: run.endedAt ?? run.updatedAt,
    minutesSaved,
    stepDurations,
  };
  if (hasFirstResponse) fact.leadCapturedAt = run.createdAt;
  const skipped = run.steps.filter((s) => s.outcome === 'not-configured').map((s) => s.nodeId);
  if (skipped.length) fact.notConfigured = [...new Set(skipped)];
  if (firstResponseAt !== undefined) fact.firstResponseAt = firstResponseAt;
  if (status === 'dead' || status === 'failed') {
    const failedStep = [...run.steps].reverse().find((s) => s.status === 'failed');
    fact.failure = { nodeId: failedStep?.nodeId ?? run.cursor ?? '?', error: failedStep?.error ?? run.error ?? status };
  }
  return fact;
}

// ── the KPIs ──────────────────────────────────────────────────────────────────────────────────────

function headline(
  unit: HeadlineKpi['unit'],
  value: number | null,
  baseline: number | null,
  baselineSource: HeadlineKpi['baselineSource'],
  target: KpiTarget,
): HeadlineKpi {
  const change = value !== null && baseline !== null ? value - baseline : null;
  const changePct = change !== null && baseline !== null && baseline !== 0 ? (change / baseline) * 100 : null;
  return { value, unit, baseline, baselineSource, change, changePct, target, met: null };
}

/** met when the value came down from the baseline by at least `threshold` (a fraction). */
function reductionMet(value: number | null, baseline: number | null, threshold: number): boolean | null {
  if (value === null || baseline === null || baseline <= 0) return null;
  // a small epsilon so that an exact 40% reduction computed in floating point counts as met
  return (baseline - value) / baseline >= threshold - 1e-12;
}

const wallFormats = new Map<string, Intl.DateTimeFormat>();

/**
 * The wall-clock time of an instant in `tz`, written as if it were UTC ("2026-12-01T00:30:00.000Z" for
 * 2026-11-30T23:30Z in Europe/Paris): what week and month bucketing read. Pure (Intl, no clock).
 */
export function wallClock(iso: string, tz: string | undefined): string {
  if (!tz || tz === 'UTC') return iso;
  let f = wallFormats.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: tz, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' });
    wallFormats.set(tz, f);
  }
  const t = Date.parse(iso);
  const p = Object.fromEntries(f.formatToParts(new Date(t)).map((x) => [x.type, x.value]));
  return new Date(Date.UTC(Number(p.year), Number(p.month) - 1, Number(p.day), Number(p.hour), Number(p.minute), Number(p.second), t % 1000)).toISOString();
}

function monthsOverlapping(fromMs: number, toMs: number): string[] {
  const out: string[] = [];
  const d = new Date(fromMs);
  let y = d.getUTCFullYear();
  let m = d.getUTCMonth();
  while (Date.UTC(y, m, 1) < toMs) {
    out.push(`${y}-${String(m + 1).padStart(2, '0')}`);
    m += 1;
    if (m === 12) {
      m = 0;
      y += 1;
    }
  }
  return out;
}

function weeksOverlapping(fromMs: number, toMs: number): string[] {
  const out: string[] = [];
  if (toMs <= fromMs) return out;
  let week = isoWeekOf(new Date(fromMs).toISOString());
  for (;;) {
    const r = isoWeekRange(week);
    if (Date.parse(r.from) >= toMs) break;
    out.push(week);
    week = isoWeekOf(r.to);
  }
  return out;
}

/** Invoice issued→paid lags: for each invoice key, first entry into `issued`/`invoice_issued` to first entry into `paid` after it. */
export function collectionLags(transitions: readonly Transition[]): { key: string; issuedAt: string; paidAt: string; days: number }[] {
  const byKey = new Map<string, { issued?: string; paid?: string }>();
  const sorted = transitions
    .filter((t) => t.entity === 'invoice')
    .slice()
    .sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
  for (const t of sorted) {
    let e = byKey.get(t.key);
    if (!e) byKey.set(t.key, (e = {}));
    if ((t.to === 'issued' || t.to === 'invoice_issued') && e.issued === undefined) e.issued = t.at;
    else if (t.to === 'paid' && e.issued !== undefined && e.paid === undefined) e.paid = t.at;
  }
  const out: { key: string; issuedAt: string; paidAt: string; days: number }[] = [];
  for (const [key, e] of byKey) {
    if (e.issued !== undefined && e.paid !== undefined) out.push({ key, issuedAt: e.issued, paidAt: e.paid, days: msBetween(e.issued, e.paid) / DAY });
  }
  return out;
}

function founderOrPeriod(b: KpiInput['baseline']): { founder?: Baseline; period?: KpiResult } {
  if (!b) return {};
  if ('period' in b && b.period) return { period: b.period };
  return { founder: b as Baseline };
}

export function computeKpis(input: KpiInput): KpiResult {
  const fromMs = Date.parse(input.from);
  const toMs = Date.parse(input.to);
  if (Number.isNaN(fromMs) || Number.isNaN(toMs) || toMs < fromMs) throw new RangeError(`bad period ${input.from} – ${input.to}`);
  const { founder, period } = founderOrPeriod(input.baseline);
  const source: HeadlineKpi['baselineSource'] = founder ? 'founder' : period ? 'period' : null;
  const runs = input.runs.filter((r) => inPeriod(r.startedAt, fromMs, toMs));

  // lead response SLA
  const responseMinutes = runs
    .filter((r) => r.leadCapturedAt !== undefined && r.firstResponseAt !== undefined)
    .map((r) => msBetween(r.leadCapturedAt!, r.firstResponseAt!) / MIN);
  const leadMedian = median(responseMinutes);
  const leadBaseline = founder?.leadResponseMedianMinutes ?? period?.leadResponse.medianMinutes ?? null;
  const leadResponse = {
    ...headline('minutes', leadMedian, leadBaseline, leadBaseline === null ? null : source, TARGETS.leadResponse),
    samples: responseMinutes.length,
    medianMinutes: leadMedian,
    p90Minutes: quantile(responseMinutes, 0.9),
  };
  leadResponse.met = reductionMet(leadMedian, leadBaseline, TARGETS.leadResponse.threshold);

  // manual ops hours reclaimed
  const minutesSaved = runs.reduce((s, r) => s + r.minutesSaved, 0);
  const wall = (iso: string) => wallClock(iso, input.tz);
  const weeks = weeksOverlapping(Date.parse(wall(input.from)), Date.parse(wall(input.to)));
  const perWeekMap = new Map(weeks.map((w) => [w, { week: w, hours: 0, runs: 0 }]));
  for (const r of runs) {
    const w = perWeekMap.get(isoWeekOf(wall(r.startedAt)));
    if (w) {
      w.hours += r.minutesSaved / 60;
      w.runs += 1;
    }
  }
  const periodWeeks = (toMs - fromMs) / WEEK;
  const hoursReclaimed = minutesSaved / 60;
  const hoursPerWeek = runs.length > 0 && periodWeeks > 0 ? hoursReclaimed / periodWeeks : null;
  let manualHead: HeadlineKpi;
  if (founder?.weeklyManualHours !== undefined) {
    // the founder's figure is the manual time before; what we reclaimed is how far it went down
    const b = founder.weeklyManualHours;
    manualHead = headline('hours/week', hoursPerWeek, b, 'founder', TARGETS.manualHours);
    manualHead.change = hoursPerWeek === null ? null : -hoursPerWeek;
    manualHead.changePct = hoursPerWeek === null || b === 0 ? null : (-hoursPerWeek / b) * 100;
  } else {
    const b = period?.manualHours.hoursPerWeek ?? null;
    manualHead = headline('hours/week', hoursPerWeek, b, b === null ? null : 'period', TARGETS.manualHours);
  }
  manualHead.met = hoursPerWeek === null ? null : hoursPerWeek >= TARGETS.manualHours.threshold;
  const manualHours = {
    ...manualHead,
    minutesSaved,
    hoursReclaimed,
    hoursPerWeek,
    perWeek: [...perWeekMap.values()],
  };

  // review queue
  const resolveMinutes = input.reviews
    .filter((r) => r.status === 'resolved' && r.resolvedAt !== undefined && inPeriod(r.resolvedAt, fromMs, toMs))
    .map((r) => msBetween(r.createdAt, r.resolvedAt!) / MIN);
  const reviewQueue = {
    open: input.reviewsOpen,
    createdInPeriod: input.reviews.filter((r) => inPeriod(r.createdAt, fromMs, toMs)).length,
    resolvedInPeriod: resolveMinutes.length,
    medianResolveMinutes: median(resolveMinutes),
  };

  // failure rate
  const flows = new Map<string, FlowFailure>();
  for (const r of runs) {
    let f = flows.get(r.flowId);
    if (!f) {
      f = { flowId: r.flowId, critical: false, finished: 0, succeeded: 0, failed: 0, dead: 0, cancelled: 0, rate: null, flagged: false };
      flows.set(r.flowId, f);
    }
    if (r.critical) f.critical = true;
    if (r.status === 'cancelled') f.cancelled += 1;
    else {
      f.finished += 1;
      if (r.status === 'succeeded') f.succeeded += 1;
      else if (r.status === 'failed') f.failed += 1;
      else f.dead += 1;
    }
  }
  const perFlow = [...flows.values()].sort((a, b) => a.flowId.localeCompare(b.flowId));
  for (const f of perFlow) {
    f.rate = f.finished > 0 ? (f.failed + f.dead) / f.finished : null;
    f.flagged = f.critical && f.rate !== null && f.rate > TARGETS.failureRate.threshold;
  }
  const sumRate = (fs: FlowFailure[]) => {
    const fin = fs.reduce((s, f) => s + f.finished, 0);
    return fin > 0 ? fs.reduce((s, f) => s + f.failed + f.dead, 0) / fin : null;
  };
  const critical = perFlow.filter((f) => f.critical && f.finished > 0);
  const overallRate = sumRate(perFlow);
  const criticalRate = critical.length > 0 ? sumRate(critical) : null;
  const failValue = critical.length > 0 ? criticalRate : overallRate;
  const failBaseline = founder?.failureRate ?? period?.failureRate.value ?? null;
  const failHead = headline('ratio', failValue, failBaseline, failBaseline === null ? null : source, TARGETS.failureRate);
  failHead.met =
    critical.length > 0
      ? critical.every((f) => (f.rate ?? 0) <= TARGETS.failureRate.threshold)
      : overallRate === null
        ? null
        : overallRate <= TARGETS.failureRate.threshold;
  const failureRate = {
    ...failHead,
    finished: perFlow.reduce((s, f) => s + f.finished, 0),
    failed: perFlow.reduce((s, f) => s + f.failed, 0),
    dead: perFlow.reduce((s, f) => s + f.dead, 0),
    overallRate,
    criticalRate,
    perFlow,
  };

  // cash collection lag
  const lags = collectionLags(input.transitions).filter((l) => inPeriod(l.paidAt, fromMs, toMs));
  const lagMedian = median(lags.map((l) => l.days));
  const lagBaseline = founder?.collectionDays ?? period?.collectionLag.medianDays ?? null;
  const lagHead = headline('days', lagMedian, lagBaseline, lagBaseline === null ? null : source, TARGETS.collectionLag);
  lagHead.met = reductionMet(lagMedian, lagBaseline, TARGETS.collectionLag.threshold);
  const perMonth = monthsOverlapping(Date.parse(wall(input.from)), Date.parse(wall(input.to))).map((month) => {
    const days = lags.filter((l) => wall(l.paidAt).slice(0, 7) === month).map((l) => l.days);
    return { month, samples: days.length, medianDays: median(days) };
  });
  const collectionLag = { ...lagHead, samples: lags.length, medianDays: lagMedian, perMonth };

  // rejected events by reason
  const reasons = new Map<string, number>();
  for (const e of input.rejected) if (inPeriod(e.at, fromMs, toMs)) reasons.set(e.reason, (reasons.get(e.reason) ?? 0) + 1);
  const rejectedByReason = [...reasons]
    .map(([reason, count]) => ({ reason, count }))
    .sort((a, b) => b.count - a.count || a.reason.localeCompare(b.reason));

  // run duration per flow
  const durations = new Map<string, number[]>();
  for (const r of runs) {
    let d = durations.get(r.flowId);
    if (!d) durations.set(r.flowId, (d = []));
    d.push(msBetween(r.startedAt, r.endedAt));
  }
  const runDurationByFlow = [...durations]
    .map(([flowId, ds]) => ({ flowId, runs: ds.length, medianMs: median(ds) }))
    .sort((a, b) => a.flowId.localeCompare(b.flowId));

  // steps that did not run for want of a connection
  const unconfigured = new Map<string, { flowId: string; runs: number; nodeIds: Set<string> }>();
  for (const r of runs) {
    if (!r.notConfigured?.length) continue;
    let u = unconfigured.get(r.flowId);
    if (!u) unconfigured.set(r.flowId, (u = { flowId: r.flowId, runs: 0, nodeIds: new Set() }));
    u.runs += 1;
    for (const n of r.notConfigured) u.nodeIds.add(n);
  }
  const notConfigured = {
    runs: [...unconfigured.values()].reduce((s, u) => s + u.runs, 0),
    perFlow: [...unconfigured.values()].map((u) => ({ flowId: u.flowId, runs: u.runs, nodeIds: [...u.nodeIds].sort() })).sort((a, b) => a.flowId.localeCompare(b.flowId)),
  };

  return {
    from: input.from,
    to: input.to,
    leadResponse,
    manualHours,
    reviewQueue,
    failureRate,
    collectionLag,
    rejectedByReason,
    deadLettersOpen: input.deadLettersOpen,
    reviewsOpen: input.reviewsOpen,
    runDurationByFlow,
    notConfigured,
  };
}

// ── helpers for the weekly report ─────────────────────────────────────────────────────────────────

/** p90 of step work time per (flow, node) over runs started in [from, to), slowest first. */
export function slowestSteps(runs: readonly RunFact[], from: string, to: string, limit = 10): { flowId: string; nodeId: string; p90Ms: number; samples: number }[] {
  const fromMs = Date.parse(from);
  const toMs = Date.parse(to);
  const by = new Map<string, { flowId: string; nodeId: string; ms: number[] }>();
  for (const r of runs) {
    if (!inPeriod(r.startedAt, fromMs, toMs)) continue;
    for (const s of r.stepDurations) {
      const k = `${r.flowId}\u0000${s.nodeId}`;
      let e = by.get(k);
      if (!e) by.set(k, (e = { flowId: r.flowId, nodeId: s.nodeId, ms: [] }));
      e.ms.push(s.ms);
    }
  }
  return [...by.values()]
    .map((e) => ({ flowId: e.flowId, nodeId: e.nodeId, p90Ms: quantile(e.ms, 0.9)!, samples: e.ms.length }))
    .sort((a, b) => b.p90Ms - a.p90Ms || a.flowId.localeCompare(b.flowId) || a.nodeId.localeCompare(b.nodeId))
    .slice(0, limit);
}

/** Dead and failed runs started in [from, to) grouped by (flow, node, error), most frequent first. */
export function failureGroups(runs: readonly RunFact[], from: string, to: string): { flowId: string; nodeId: string; error: string; count: number }[] {
  const fromMs = Date.parse(from);
  const toMs = Date.parse(to);
  const by = new Map<string, { flowId: string; nodeId: string; error: string; count: number }>();
  for (const r of runs) {
    if (!r.failure || !inPeriod(r.startedAt, fromMs, toMs)) continue;
    const k = `${r.flowId}\u0000${r.failure.nodeId}\u0000${r.failure.error}`;
    const e = by.get(k);
    if (e) e.count += 1;
    else by.set(k, { flowId: r.flowId, nodeId: r.failure.nodeId, error: r.failure.error, count: 1 });
  }
  return [...by.values()].sort((a, b) => b.count - a.count || a.flowId.localeCompare(b.flowId) || a.nodeId.localeCompare(b.nodeId));
}
