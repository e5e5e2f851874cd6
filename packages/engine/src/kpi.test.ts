// KPI maths against hand-computed fixtures. Period used throughout unless said: ISO week 2026-W48,
// [2026-11-23T00:00Z, 2026-11-30T00:00Z).
import { describe, expect, it } from 'vitest';
import type { Flow, RejectedEvent, ReviewItem, Run, Step } from '@flowdesk/schema';
import { computeKpis, failureGroups, median, quantile, runFactFromRun, slowestSteps, type KpiInput, type RunFact, type Transition } from './kpi.ts';

const FROM = '2026-11-23T00:00:00.000Z';
const TO = '2026-11-30T00:00:00.000Z';

let n = 0;
function fact(p: Partial<RunFact> = {}): RunFact {
  n += 1;
  return {
    runId: `r${n}`,
    flowId: 'lead-qualification',
    critical: false,
    status: 'succeeded',
    startedAt: '2026-11-24T10:00:00.000Z',
    endedAt: '2026-11-24T10:00:01.000Z',
    minutesSaved: 0,
    stepDurations: [],
    ...p,
  };
}

function input(p: Partial<KpiInput> = {}): KpiInput {
  return { from: FROM, to: TO, runs: [], transitions: [], reviews: [], rejected: [], deadLettersOpen: 0, reviewsOpen: 0, ...p };
}

/** A lead run captured at `at` whose first response came `minutes` later. */
const lead = (at: string, minutes: number, p: Partial<RunFact> = {}): RunFact =>
  fact({ startedAt: at, leadCapturedAt: at, firstResponseAt: new Date(Date.parse(at) + minutes * 60_000).toISOString(), endedAt: new Date(Date.parse(at) + minutes * 60_000).toISOString(), ...p });

function noNaN(v: unknown, path = '$'): void {
  if (typeof v === 'number') expect(Number.isNaN(v), path).toBe(false);
  else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) noNaN(x, `${path}.${k}`);
}

describe('quantile (linear interpolation between closest ranks)', () => {
  it('empty sample → null', () => {
    expect(quantile([], 0.5)).toBeNull();
    expect(median([])).toBeNull();
  });
  it('a single sample is its own median and p90', () => {
    expect(median([7])).toBe(7);
    expect(quantile([7], 0.9)).toBe(7);
  });
  it('odd count: the middle value, whatever the input order', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([10, 40, 20, 30, 50])).toBe(30);
  });
  it('even count: the mean of the two middle values', () => {
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });
  it('p90 interpolates: [1..10] → rank 8.1 → 9 + 0.1·(10 − 9) = 9.1', () => {
    expect(quantile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.9)).toBeCloseTo(9.1, 10);
  });
  it('ties: [5,5,5,10] → median 5, p90 at rank 2.7 → 5 + 0.7·5 = 8.5', () => {
    expect(median([5, 5, 5, 10])).toBe(5);
    expect(quantile([5, 5, 5, 10], 0.9)).toBeCloseTo(8.5, 10);
  });
  it('p outside [0, 1] is refused; p=0 and p=1 are min and max', () => {
    expect(() => quantile([1], 1.5)).toThrow(RangeError);
    expect(quantile([3, 9, 1], 0)).toBe(1);
    expect(quantile([3, 9, 1], 1)).toBe(9);
  });
});

describe('runFactFromRun', () => {
  const flow: Flow = {
    dsl: 1,
    id: 'lead-qualification',
    name: 'Lead qualification',
    critical: true,
    trigger: { type: 'webhook', path: 'lead', auth: { type: 'none' } },
    nodes: [
      { id: 'score', type: 'compute', set: {}, minutesSaved: 2 },
      { id: 'qualify', type: 'route', rules: [], default: 'fast' },
      { id: 'pause', type: 'wait', for: '1h' },
      { id: 'welcome', type: 'action', action: 'http.request', minutesSaved: 5, firstResponse: true },
      { id: 'manual', type: 'review', queue: 'leads', decisions: ['approved'], minutesSaved: 100 },
      { id: 'done', type: 'end' },
    ],
    edges: [],
  };
  const step = (nodeId: string, status: Step['status'], startedAt: string, endedAt: string | undefined, p: Partial<Step> = {}): Step => ({
    nodeId,
    status,
    attempts: [],
    startedAt,
    ...(endedAt ? { endedAt } : {}),
    ...p,
  });
  const base: Run = {
    id: 'run-1',
    flowId: 'lead-qualification',
    flowVersion: 3,
    status: 'succeeded',
    idempotencyKey: 'ada@example.com',
    trigger: { type: 'webhook', path: 'lead' },
    payload: {},
    headers: {},
    vars: {},
    cursor: null,
    steps: [],
    createdAt: '2026-11-24T09:00:00.000Z',
    startedAt: '2026-11-24T09:00:00.100Z',
    updatedAt: '2026-11-24T10:05:00.000Z',
    endedAt: '2026-11-24T10:05:00.000Z',
  };

  it('sums minutesSaved over succeeded steps, finds the first response, times the work', () => {
    const run: Run = {
      ...base,
      steps: [
        step('score', 'succeeded', '2026-11-24T09:00:00.100Z', '2026-11-24T09:00:00.110Z'),
        step('qualify', 'succeeded', '2026-11-24T09:00:00.110Z', '2026-11-24T09:00:00.115Z'),
        step('pause', 'succeeded', '2026-11-24T09:00:00.115Z', '2026-11-24T10:00:00.115Z'),
        step('welcome', 'succeeded', '2026-11-24T10:00:00.115Z', '2026-11-24T10:03:00.000Z', {
          attempts: [
            { at: '2026-11-24T10:00:00.115Z', status: 503, errorClass: '5xx', durationMs: 300 },
            { at: '2026-11-24T10:02:59.800Z', status: 200, durationMs: 200 },
          ],
        }),
        // a second pass through the same first-response node: later, so not the first response
        step('welcome', 'succeeded', '2026-11-24T10:04:00.000Z', '2026-11-24T10:04:00.100Z', { attempts: [{ at: '2026-11-24T10:04:00.000Z', durationMs: 100 }] }),
        step('done', 'succeeded', '2026-11-24T10:05:00.000Z', '2026-11-24T10:05:00.000Z'),
      ],
    };
    const f = runFactFromRun(run, flow);
    expect(f).toEqual({
      runId: 'run-1',
      flowId: 'lead-qualification',
      critical: true,
      status: 'succeeded',
      startedAt: '2026-11-24T09:00:00.100Z',
      endedAt: '2026-11-24T10:05:00.000Z',
      minutesSaved: 2 + 5 + 5, // score + welcome twice; route, wait and end save nothing
      firstResponseAt: '2026-11-24T10:03:00.000Z',
      leadCapturedAt: '2026-11-24T09:00:00.000Z',
      stepDurations: [
        { nodeId: 'score', ms: 10 },
        { nodeId: 'qualify', ms: 5 },
        { nodeId: 'welcome', ms: 500 }, // attempts 300 + 200, not the 3 minutes between them
        { nodeId: 'welcome', ms: 100 },
        { nodeId: 'done', ms: 0 },
      ],
    });
  });

  it('a dead run: failed steps save nothing, no first response, the failure is named', () => {
    const run: Run = {
      ...base,
      status: 'dead',
      error: 'HTTP 503',
      steps: [
        step('score', 'succeeded', '2026-11-24T09:00:00.100Z', '2026-11-24T09:00:00.110Z'),
        step('welcome', 'failed', '2026-11-24T09:00:00.110Z', '2026-11-24T09:13:00.000Z', {
          error: 'HTTP 503 from crm',
          attempts: [
            { at: '2026-11-24T09:00:00.110Z', status: 503, errorClass: '5xx', durationMs: 40 },
            { at: '2026-11-24T09:12:59.960Z', status: 503, errorClass: '5xx', durationMs: 40 },
          ],
        }),
      ],
    };
    const f = runFactFromRun(run, flow);
    expect(f.minutesSaved).toBe(2);
    expect(f.firstResponseAt).toBeUndefined();
    expect(f.leadCapturedAt).toBe('2026-11-24T09:00:00.000Z');
    expect(f.failure).toEqual({ nodeId: 'welcome', error: 'HTTP 503 from crm' });
    expect(f.stepDurations).toEqual([
      { nodeId: 'score', ms: 10 },
      { nodeId: 'welcome', ms: 80 },
    ]);
  });

  it('review nodes count their minutesSaved when they succeed but not their waiting time', () => {
    const run: Run = { ...base, steps: [step('manual', 'succeeded', '2026-11-24T09:00:00.100Z', '2026-11-25T09:00:00.100Z')] };
    const f = runFactFromRun(run, flow);
    expect(f.minutesSaved).toBe(100);
    expect(f.stepDurations).toEqual([]);
  });

  it('a flow without a firstResponse node gives no lead capture; critical defaults to false', () => {
    const plain: Flow = { ...flow, critical: undefined, nodes: flow.nodes.map((x) => ({ ...x, firstResponse: undefined })) };
    const f = runFactFromRun({ ...base, endedAt: undefined }, plain);
    expect(f.leadCapturedAt).toBeUndefined();
    expect(f.critical).toBe(false);
    expect(f.endedAt).toBe(base.updatedAt);
  });

  it('refuses a run that has not finished', () => {
    expect(() => runFactFromRun({ ...base, status: 'waiting' }, flow)).toThrow(/not finished/);
  });
});

describe('computeKpis — empty period', () => {
  it('gives nulls and zeros, never NaN, with or without a baseline', () => {
    for (const baseline of [undefined, { leadResponseMedianMinutes: 60, weeklyManualHours: 10, failureRate: 0.05, collectionDays: 30 }]) {
      const k = computeKpis(input({ baseline, runs: [fact({ startedAt: '2026-11-30T00:00:00.000Z' })] /* `to` is exclusive */ }));
      expect(k.leadResponse).toMatchObject({ samples: 0, medianMinutes: null, p90Minutes: null, value: null, change: null, changePct: null, met: null });
      expect(k.manualHours).toMatchObject({ minutesSaved: 0, hoursReclaimed: 0, hoursPerWeek: null, met: null, perWeek: [{ week: '2026-W48', hours: 0, runs: 0 }] });
      expect(k.reviewQueue).toEqual({ open: 0, createdInPeriod: 0, resolvedInPeriod: 0, medianResolveMinutes: null });
      expect(k.failureRate).toMatchObject({ finished: 0, value: null, overallRate: null, criticalRate: null, met: null, perFlow: [] });
      expect(k.collectionLag).toMatchObject({ samples: 0, medianDays: null, met: null, perMonth: [{ month: '2026-11', samples: 0, medianDays: null }] });
      expect(k.rejectedByReason).toEqual([]);
      expect(k.runDurationByFlow).toEqual([]);
      noNaN(k);
      expect(JSON.stringify(k)).not.toContain('NaN');
    }
  });
  it('refuses a malformed period', () => {
    expect(() => computeKpis(input({ from: 'yesterday' }))).toThrow(RangeError);
    expect(() => computeKpis(input({ from: TO, to: FROM }))).toThrow(RangeError);
  });
});

describe('computeKpis — lead response SLA', () => {
  it('even count: median and p90 over runs started in the period', () => {
    const k = computeKpis(
      input({
        runs: [
          lead('2026-11-23T08:00:00.000Z', 10),
          lead('2026-11-24T08:00:00.000Z', 40),
          lead('2026-11-25T08:00:00.000Z', 20),
          lead('2026-11-29T23:00:00.000Z', 30),
          lead('2026-11-22T23:59:00.000Z', 500), // before the period
          fact({ startedAt: '2026-11-24T09:00:00.000Z', leadCapturedAt: '2026-11-24T09:00:00.000Z', status: 'dead' }), // never answered
          fact({ startedAt: '2026-11-24T09:00:00.000Z' }), // not a lead flow
        ],
        baseline: { leadResponseMedianMinutes: 50 },
      }),
    );
    // sorted 10, 20, 30, 40: median (20+30)/2 = 25; p90 rank 2.7 → 30 + 0.7·10 = 37
    expect(k.leadResponse.samples).toBe(4);
    expect(k.leadResponse.medianMinutes).toBe(25);
    expect(k.leadResponse.p90Minutes).toBeCloseTo(37, 10);
    expect(k.leadResponse.baseline).toBe(50);
    expect(k.leadResponse.baselineSource).toBe('founder');
    expect(k.leadResponse.change).toBe(-25);
    expect(k.leadResponse.changePct).toBe(-50);
    expect(k.leadResponse.met).toBe(true); // 50% ≥ 40%
  });
  it('odd count with ties, and a reduction below 40% is not met', () => {
    const k = computeKpis(input({ runs: [lead('2026-11-24T08:00:00Z', 30), lead('2026-11-24T09:00:00Z', 30), lead('2026-11-24T10:00:00Z', 90)], baseline: { leadResponseMedianMinutes: 40 } }));
    // 30, 30, 90 → median 30; p90 rank 1.8 → 30 + 0.8·60 = 78; reduction (40-30)/40 = 25%
    expect(k.leadResponse.medianMinutes).toBe(30);
    expect(k.leadResponse.p90Minutes).toBeCloseTo(78, 10);
    expect(k.leadResponse.changePct).toBe(-25);
    expect(k.leadResponse.met).toBe(false);
  });
  it('exactly 40% down is met; a single sample is median and p90', () => {
    const k = computeKpis(input({ runs: [lead('2026-11-24T08:00:00Z', 30)], baseline: { leadResponseMedianMinutes: 50 } }));
    expect(k.leadResponse.medianMinutes).toBe(30);
    expect(k.leadResponse.p90Minutes).toBe(30);
    expect(k.leadResponse.met).toBe(true);
  });
  it('no baseline → met null; an earlier period as baseline', () => {
    const earlier = computeKpis(input({ from: '2026-10-01T00:00:00Z', to: '2026-11-01T00:00:00Z', runs: [lead('2026-10-05T08:00:00Z', 60), lead('2026-10-06T08:00:00Z', 80)] }));
    expect(earlier.leadResponse.medianMinutes).toBe(70);
    expect(earlier.leadResponse.met).toBeNull();
    const k = computeKpis(input({ runs: [lead('2026-11-24T08:00:00Z', 35)], baseline: { period: earlier } }));
    expect(k.leadResponse.baseline).toBe(70);
    expect(k.leadResponse.baselineSource).toBe('period');
    expect(k.leadResponse.changePct).toBe(-50);
    expect(k.leadResponse.met).toBe(true);
  });
});

describe('computeKpis — manual ops hours reclaimed', () => {
  it('one week: sum of minutesSaved / 60, against the 6 h/week target and the founder baseline', () => {
    const k = computeKpis(
      input({
        runs: [fact({ minutesSaved: 120 }), fact({ minutesSaved: 240, status: 'dead' }), fact({ minutesSaved: 30 }), fact({ minutesSaved: 999, startedAt: '2026-11-30T00:00:00Z' })],
        baseline: { weeklyManualHours: 20 },
      }),
    );
    // 120 + 240 + 30 = 390 min = 6.5 h in one week
    expect(k.manualHours.minutesSaved).toBe(390);
    expect(k.manualHours.hoursReclaimed).toBe(6.5);
    expect(k.manualHours.hoursPerWeek).toBe(6.5);
    expect(k.manualHours.perWeek).toEqual([{ week: '2026-W48', hours: 6.5, runs: 3 }]);
    expect(k.manualHours.baseline).toBe(20);
    expect(k.manualHours.change).toBe(-6.5); // 20 h of manual work went down by 6.5 h
    expect(k.manualHours.changePct).toBe(-32.5);
    expect(k.manualHours.met).toBe(true);
  });
  it('two weeks split per ISO week; 5 h/week is below target; met needs no baseline', () => {
    const k = computeKpis(
      input({
        from: '2026-11-23T00:00:00Z',
        to: '2026-12-07T00:00:00Z',
        runs: [fact({ minutesSaved: 360, startedAt: '2026-11-29T23:59:59Z' }), fact({ minutesSaved: 240, startedAt: '2026-11-30T00:00:00Z' })],
      }),
    );
    // (360 + 240) / 60 = 10 h over 2 weeks = 5 h/week
    expect(k.manualHours.perWeek).toEqual([
      { week: '2026-W48', hours: 6, runs: 1 },
      { week: '2026-W49', hours: 4, runs: 1 },
    ]);
    expect(k.manualHours.hoursPerWeek).toBe(5);
    expect(k.manualHours.baseline).toBeNull();
    expect(k.manualHours.met).toBe(false);
  });
  it('a period starting mid-week lists both ISO weeks it touches; runs saving nothing give 0, not null', () => {
    const k = computeKpis(input({ from: '2026-11-25T00:00:00Z', to: '2026-12-02T00:00:00Z', runs: [fact({ startedAt: '2026-11-26T00:00:00Z' })] }));
    expect(k.manualHours.perWeek.map((w) => w.week)).toEqual(['2026-W48', '2026-W49']);
    expect(k.manualHours.hoursPerWeek).toBe(0);
    expect(k.manualHours.met).toBe(false);
  });
  it('an earlier period as baseline compares hours per week', () => {
    const earlier = computeKpis(input({ runs: [fact({ minutesSaved: 240 })] }));
    const k = computeKpis(input({ runs: [fact({ minutesSaved: 480 })], baseline: { period: earlier } }));
    expect(k.manualHours.baseline).toBe(4);
    expect(k.manualHours.change).toBe(4);
    expect(k.manualHours.changePct).toBe(100);
    expect(k.manualHours.met).toBe(true);
  });
});

describe('computeKpis — review queue', () => {
  const review = (p: Partial<ReviewItem>): ReviewItem => ({
    id: `rv${(n += 1)}`,
    runId: 'r',
    flowId: 'lead-qualification',
    nodeId: 'manual',
    queue: 'leads',
    title: 'Check lead',
    decisions: ['approved', 'rejected'],
    sop: [],
    context: {},
    status: 'resolved',
    createdAt: '2026-11-24T10:00:00Z',
    ...p,
  });
  it('open count as given; median minutes to resolve over reviews resolved in the period (ties)', () => {
    const k = computeKpis(
      input({
        reviewsOpen: 2,
        reviews: [
          review({ resolvedAt: '2026-11-24T10:30:00Z' }), // 30
          review({ createdAt: '2026-11-22T23:00:00Z', resolvedAt: '2026-11-23T00:30:00Z' }), // 90, created before the period
          review({ createdAt: '2026-11-25T08:00:00Z', resolvedAt: '2026-11-25T09:30:00Z' }), // 90
          review({ createdAt: '2026-11-29T23:00:00Z', resolvedAt: '2026-11-30T00:10:00Z' }), // resolved after the period
          review({ status: 'open', createdAt: '2026-11-26T00:00:00Z' }),
          review({ status: 'cancelled', createdAt: '2026-11-26T00:00:00Z' }),
        ],
      }),
    );
    expect(k.reviewQueue).toEqual({ open: 2, createdInPeriod: 5, resolvedInPeriod: 3, medianResolveMinutes: 90 });
    expect(k.reviewsOpen).toBe(2);
  });
  it('even count: two resolutions of 30 and 60 minutes → 45', () => {
    const k = computeKpis(input({ reviews: [review({ resolvedAt: '2026-11-24T10:30:00Z' }), review({ resolvedAt: '2026-11-24T11:00:00Z' })] }));
    expect(k.reviewQueue.medianResolveMinutes).toBe(45);
  });
});

describe('computeKpis — automation failure rate', () => {
  const many = (count: number, p: Partial<RunFact>) => Array.from({ length: count }, () => fact(p));
  it('per flow, critical flows above 2% flagged, met only when every critical flow is at or below 2%', () => {
    const runs = [
      ...many(49, { flowId: 'a', critical: true }),
      ...many(1, { flowId: 'a', critical: true, status: 'dead' }), // 1/50 = 2%: not above
      ...many(97, { flowId: 'b', critical: true }),
      ...many(2, { flowId: 'b', critical: true, status: 'failed' }),
      ...many(1, { flowId: 'b', critical: true, status: 'dead' }), // 3/100 = 3%: flagged
      ...many(3, { flowId: 'c' }),
      ...many(1, { flowId: 'c', status: 'failed' }),
      ...many(1, { flowId: 'c', status: 'cancelled' }), // 1/4 = 25%, not critical
    ];
    const k = computeKpis(input({ runs, baseline: { failureRate: 0.05 } }));
    expect(k.failureRate.perFlow).toEqual([
      { flowId: 'a', critical: true, finished: 50, succeeded: 49, failed: 0, dead: 1, cancelled: 0, rate: 0.02, flagged: false },
      { flowId: 'b', critical: true, finished: 100, succeeded: 97, failed: 2, dead: 1, cancelled: 0, rate: 0.03, flagged: true },
      { flowId: 'c', critical: false, finished: 4, succeeded: 3, failed: 1, dead: 0, cancelled: 1, rate: 0.25, flagged: false },
    ]);
    expect(k.failureRate.finished).toBe(154);
    expect(k.failureRate.failed).toBe(3);
    expect(k.failureRate.dead).toBe(2);
    expect(k.failureRate.overallRate).toBeCloseTo(5 / 154, 12);
    expect(k.failureRate.criticalRate).toBeCloseTo(4 / 150, 12);
    expect(k.failureRate.value).toBeCloseTo(4 / 150, 12);
    expect(k.failureRate.change).toBeCloseTo(4 / 150 - 0.05, 12);
    expect(k.failureRate.met).toBe(false);
  });
  it('met when the only critical flow is at 2%', () => {
    const k = computeKpis(input({ runs: [...many(49, { flowId: 'a', critical: true }), fact({ flowId: 'a', critical: true, status: 'failed' }), ...many(1, { flowId: 'c', status: 'dead' })] }));
    expect(k.failureRate.met).toBe(true);
    expect(k.failureRate.baseline).toBeNull();
  });
  it('no critical flow: the rule applies to the overall rate', () => {
    const k = computeKpis(input({ runs: [...many(99, {}), fact({ status: 'dead' })] }));
    expect(k.failureRate.criticalRate).toBeNull();
    expect(k.failureRate.value).toBeCloseTo(0.01, 12);
    expect(k.failureRate.met).toBe(true);
    const k2 = computeKpis(input({ runs: [fact({}), fact({ status: 'failed' })] }));
    expect(k2.failureRate.value).toBe(0.5);
    expect(k2.failureRate.met).toBe(false);
  });
  it('only cancelled runs: nothing finished, rate null', () => {
    const k = computeKpis(input({ runs: [fact({ status: 'cancelled', critical: true })] }));
    expect(k.failureRate.perFlow[0]).toMatchObject({ finished: 0, cancelled: 1, rate: null, flagged: false });
    expect(k.failureRate.value).toBeNull();
    expect(k.failureRate.met).toBeNull();
  });
});

describe('computeKpis — cash collection lag', () => {
  const t = (key: string, from: string | null, to: string, at: string, entity = 'invoice'): Transition => ({ entity, key, from, to, at });
  const transitions: Transition[] = [
    t('inv-1', null, 'issued', '2026-11-01T00:00:00Z'),
    t('inv-1', 'issued', 'overdue', '2026-11-08T00:00:00Z'),
    t('inv-1', 'overdue', 'paid', '2026-11-11T00:00:00Z'), // 10 days
    t('inv-2', null, 'issued', '2026-11-05T00:00:00Z'),
    t('inv-2', 'issued', 'paid', '2026-11-25T12:00:00Z'), // 20.5 days
    t('inv-3', null, 'invoice_issued', '2026-10-20T00:00:00Z'),
    t('inv-3', 'invoice_issued', 'paid', '2026-11-14T00:00:00Z'), // 25 days
    t('inv-4', null, 'issued', '2026-11-20T00:00:00Z'), // never paid
    t('inv-5', null, 'issued', '2026-11-20T00:00:00Z'),
    t('inv-5', 'issued', 'paid', '2026-12-02T00:00:00Z'), // paid after the period (12 days)
    t('acme@example.com', 'won', 'invoice_issued', '2026-11-01T00:00:00Z', 'account'),
    t('acme@example.com', 'invoice_issued', 'paid', '2026-11-02T00:00:00Z', 'account'), // not an invoice
  ];
  const NOV = { from: '2026-11-01T00:00:00.000Z', to: '2026-12-01T00:00:00.000Z' };

  it('median days issued → paid for invoices paid in the period (odd count)', () => {
    const k = computeKpis(input({ ...NOV, transitions, baseline: { collectionDays: 30 } }));
    expect(k.collectionLag.samples).toBe(3);
    expect(k.collectionLag.medianDays).toBe(20.5);
    expect(k.collectionLag.perMonth).toEqual([{ month: '2026-11', samples: 3, medianDays: 20.5 }]);
    expect(k.collectionLag.change).toBe(-9.5);
    expect(k.collectionLag.changePct).toBeCloseTo(-31.666666666, 6);
    expect(k.collectionLag.met).toBe(true);
  });
  it('a reduction under 15% is not met ((24 − 20.5) / 24 = 14.6%)', () => {
    expect(computeKpis(input({ ...NOV, transitions, baseline: { collectionDays: 24 } })).collectionLag.met).toBe(false);
  });
  it('per month over two months (even count in November: none; the order of transitions does not matter)', () => {
    const k = computeKpis(input({ from: '2026-11-15T00:00:00Z', to: '2027-01-01T00:00:00Z', transitions: [...transitions].reverse() }));
    // in [Nov 15, Jan 1): inv-2 (20.5, Nov) and inv-5 (12, Dec)
    expect(k.collectionLag.medianDays).toBeCloseTo((20.5 + 12) / 2, 12);
    expect(k.collectionLag.perMonth).toEqual([
      { month: '2026-11', samples: 1, medianDays: 20.5 },
      { month: '2026-12', samples: 1, medianDays: 12 },
    ]);
    expect(k.collectionLag.met).toBeNull(); // no baseline
  });
  it('re-entering issued does not restart the clock; ties', () => {
    const k = computeKpis(
      input({
        ...NOV,
        transitions: [
          t('x', null, 'issued', '2026-11-01T00:00:00Z'),
          t('x', 'issued', 'overdue', '2026-11-03T00:00:00Z'),
          t('x', 'overdue', 'issued', '2026-11-04T00:00:00Z'),
          t('x', 'issued', 'paid', '2026-11-06T00:00:00Z'), // 5 days
          t('y', null, 'issued', '2026-11-02T00:00:00Z'),
          t('y', 'issued', 'paid', '2026-11-07T00:00:00Z'), // 5 days
        ],
      }),
    );
    expect(k.collectionLag.medianDays).toBe(5);
  });
});

describe('computeKpis — rejected events, queues, run duration', () => {
  it('rejected events by reason in the period, most frequent first, ties by name', () => {
    const rej = (reason: string, at = '2026-11-24T10:00:00Z'): RejectedEvent => ({ id: `e${(n += 1)}`, at, status: 422, reason });
    const k = computeKpis(
      input({
        rejected: [rej('payload schema'), rej('unknown path'), rej('payload schema'), rej('auth'), rej('payload schema'), rej('auth', '2026-11-30T00:00:00Z')],
        deadLettersOpen: 4,
      }),
    );
    expect(k.rejectedByReason).toEqual([
      { reason: 'payload schema', count: 3 },
      { reason: 'auth', count: 1 },
      { reason: 'unknown path', count: 1 },
    ]);
    expect(k.deadLettersOpen).toBe(4);
  });
  it('median run duration per flow', () => {
    const at = '2026-11-24T10:00:00.000Z';
    const k = computeKpis(
      input({
        runs: [
          fact({ flowId: 'b', startedAt: at, endedAt: '2026-11-24T10:00:05.000Z' }),
          fact({ flowId: 'a', startedAt: at, endedAt: '2026-11-24T10:00:01.000Z' }),
          fact({ flowId: 'a', startedAt: at, endedAt: '2026-11-24T10:00:03.000Z' }),
        ],
      }),
    );
    expect(k.runDurationByFlow).toEqual([
      { flowId: 'a', runs: 2, medianMs: 2000 },
      { flowId: 'b', runs: 1, medianMs: 5000 },
    ]);
  });
});

describe('slowestSteps and failureGroups', () => {
  it('p90 of step work time per flow and node, slowest first', () => {
    const runs = [
      fact({ flowId: 'a', stepDurations: [{ nodeId: 'crm', ms: 100 }, { nodeId: 'score', ms: 1 }] }),
      fact({ flowId: 'a', stepDurations: [{ nodeId: 'crm', ms: 200 }] }),
      fact({ flowId: 'b', stepDurations: [{ nodeId: 'mail', ms: 150 }] }),
      fact({ flowId: 'b', startedAt: '2026-12-01T00:00:00Z', stepDurations: [{ nodeId: 'mail', ms: 99_999 }] }),
    ];
    // a/crm: [100, 200] → rank 0.9 → 190
    expect(slowestSteps(runs, FROM, TO)).toEqual([
      { flowId: 'a', nodeId: 'crm', p90Ms: 190, samples: 2 },
      { flowId: 'b', nodeId: 'mail', p90Ms: 150, samples: 1 },
      { flowId: 'a', nodeId: 'score', p90Ms: 1, samples: 1 },
    ]);
    expect(slowestSteps(runs, FROM, TO, 1)).toHaveLength(1);
  });
  it('groups dead and failed runs by flow, node and error', () => {
    const runs = [
      fact({ flowId: 'a', status: 'dead', failure: { nodeId: 'crm', error: 'HTTP 503' } }),
      fact({ flowId: 'a', status: 'dead', failure: { nodeId: 'crm', error: 'HTTP 503' } }),
      fact({ flowId: 'a', status: 'failed', failure: { nodeId: 'score', error: 'bad expression' } }),
      fact({ flowId: 'a' }),
    ];
    expect(failureGroups(runs, FROM, TO)).toEqual([
      { flowId: 'a', nodeId: 'crm', error: 'HTTP 503', count: 2 },
      { flowId: 'a', nodeId: 'score', error: 'bad expression', count: 1 },
    ]);
  });
});

describe('time zone buckets (tz)', () => {
  it('a run late on Sunday UTC falls in the next ISO week in Europe/Paris; months likewise', () => {
    // 2026-11-29T23:30Z is Sunday 23:30 in UTC (W48) and Monday 00:30 in Paris (W49)
    const run = fact({ startedAt: '2026-11-29T23:30:00.000Z', endedAt: '2026-11-29T23:31:00.000Z', minutesSaved: 60 });
    const wide = { from: '2026-11-23T00:00:00.000Z', to: '2026-12-07T00:00:00.000Z', runs: [run] };
    const utc = computeKpis(input(wide));
    const paris = computeKpis(input({ ...wide, tz: 'Europe/Paris' }));
    expect(utc.manualHours.perWeek.find((w) => w.runs === 1)?.week).toBe('2026-W48');
    expect(paris.manualHours.perWeek.find((w) => w.runs === 1)?.week).toBe('2026-W49');
    // durations do not move with the zone
    expect(paris.manualHours.hoursReclaimed).toBe(utc.manualHours.hoursReclaimed);
    // an invoice paid 2026-11-30T23:30Z is paid in December in Paris
    const transitions: Transition[] = [
      { entity: 'invoice', key: 'i1', from: null, to: 'issued', at: '2026-11-20T10:00:00.000Z' },
      { entity: 'invoice', key: 'i1', from: 'issued', to: 'paid', at: '2026-11-30T23:30:00.000Z' },
    ];
    const months = (tz?: string) =>
      computeKpis(input({ from: '2026-11-01T00:00:00.000Z', to: '2026-12-15T00:00:00.000Z', transitions, tz })).collectionLag.perMonth.filter((m) => m.samples > 0).map((m) => m.month);
    expect(months()).toEqual(['2026-11']);
    expect(months('Europe/Paris')).toEqual(['2026-12']);
  });
});
