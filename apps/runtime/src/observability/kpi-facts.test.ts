// KPI facts through the in-memory reference store: facts written on finish, KPIs read back, and the
// KPI values unchanged after the runs themselves are pruned (retention).
import { beforeEach, describe, expect, it } from 'vitest';
import type { Flow, Run, Step } from '@flowdesk/schema';
import { createMemoryStore } from '../store/memory/index.ts';
import type { Store } from '../store/types.ts';
import { ManualClock } from '../clock.ts';
import type { TimerHandler } from '../runner/scheduler.ts';
import { RETENTION_LAST_RUN_ID, scheduleRetention } from './retention-schedule.ts';
import { backfillRunFacts, getBaseline, kpisFromStore, listRunFacts, queueDepths, recordRunFact, retentionDaysFromEnv, runRetention, setBaseline, weeklyReportFromStore } from './kpi-facts.ts';

const leadFlow: Flow = {
  dsl: 1,
  id: 'lead',
  name: 'Lead qualification',
  critical: true,
  trigger: { type: 'webhook', path: 'lead', auth: { type: 'none' } },
  nodes: [
    { id: 'score', type: 'compute', set: {}, minutesSaved: 5 },
    { id: 'reply', type: 'action', action: 'email.send', minutesSaved: 15, firstResponse: true },
    { id: 'done', type: 'end' },
  ],
  edges: [],
};
const idleFlow: Flow = {
  dsl: 1,
  id: 'idle',
  name: 'Churn survey',
  trigger: { type: 'manual' },
  nodes: [{ id: 'ask', type: 'action', action: 'email.send', minutesSaved: 7 }, { id: 'end', type: 'end' }],
  edges: [],
};

const plus = (iso: string, min: number) => new Date(Date.parse(iso) + min * 60_000).toISOString();
const step = (nodeId: string, status: Step['status'], startedAt: string, endedAt: string, error?: string): Step => ({
  nodeId,
  status,
  attempts: [],
  startedAt,
  endedAt,
  ...(error ? { error } : {}),
});

/** A lead run captured at `at`: score at once, the reply `minutes` later (or failing). */
function leadRun(id: string, at: string, minutes: number, status: Run['status'] = 'succeeded'): Run {
  const end = plus(at, minutes);
  const steps =
    status === 'succeeded'
      ? [step('score', 'succeeded', at, at), step('reply', 'succeeded', at, end), step('done', 'succeeded', end, end)]
      : status === 'dead'
        ? [step('score', 'succeeded', at, at), step('reply', 'failed', at, end, 'SMTP 554 rejected')]
        : [step('score', 'succeeded', at, at)];
  return {
    id,
    flowId: 'lead',
    flowVersion: 1,
    status,
    idempotencyKey: null,
    trigger: { type: 'webhook', path: 'lead' },
    payload: {},
    headers: {},
    vars: {},
    cursor: status === 'waiting' ? 'reply' : null,
    steps,
    createdAt: at,
    startedAt: at,
    updatedAt: end,
    ...(status === 'waiting' ? {} : { endedAt: end }),
  };
}

const W48 = { from: '2026-11-23T00:00:00.000Z', to: '2026-11-30T00:00:00.000Z' };
let store: Store;

beforeEach(async () => {
  store = createMemoryStore();
  await store.open();
  await store.putFlow(leadFlow, '2026-11-01T00:00:00.000Z');
  await store.putFlow(idleFlow, '2026-11-01T00:00:00.000Z');
  const runs = [
    leadRun('r0', '2026-11-18T10:00:00.000Z', 20), // week 47
    leadRun('r1', '2026-11-24T10:00:00.000Z', 6),
    leadRun('r2', '2026-11-25T10:00:00.000Z', 10),
    leadRun('r3', '2026-11-26T10:00:00.000Z', 13, 'dead'),
    leadRun('r4', '2026-11-27T10:00:00.000Z', 0, 'waiting'),
  ];
  for (const r of runs) {
    await store.createRun(r);
    await recordRunFact(store, r);
  }
  await store.putDoc('deadLetters', {
    id: 'r3', runId: 'r3', flowId: 'lead', flowVersion: 1, nodeId: 'reply', payload: {}, attempts: [], error: 'SMTP 554 rejected', sop: [], severity: 'P1', status: 'open',
    createdAt: '2026-11-26T10:13:00.000Z', updatedAt: '2026-11-26T10:13:00.000Z',
  });
  await store.putDoc('reviews', {
    id: 'rv1', runId: 'rx', flowId: 'lead', nodeId: 'manual', queue: 'leads', title: 'Low-fit lead: Acme', decisions: ['approved', 'rejected'], sop: [], context: {},
    status: 'open', createdAt: '2026-11-26T09:00:00.000Z',
  });
  await store.putDoc('reviews', {
    id: 'rv2', runId: 'ry', flowId: 'lead', nodeId: 'manual', queue: 'leads', title: 'x', decisions: ['approved'], sop: [], context: {},
    status: 'resolved', decision: 'approved', createdAt: '2026-11-24T09:00:00.000Z', resolvedAt: '2026-11-24T09:45:00.000Z',
  });
  await store.addRejected({ id: 'e1', at: '2026-11-25T12:00:00.000Z', flowId: 'lead', path: 'lead', status: 422, reason: 'payload schema' });
  await store.addRejected({ id: 'e2', at: '2026-11-30T12:00:00.000Z', flowId: 'lead', path: 'lead', status: 422, reason: 'payload schema' });
  const cause = { manual: true };
  await store.transitionRecord({ entity: 'invoice', key: 'INV-1', to: 'issued', at: '2026-11-10T00:00:00.000Z', cause });
  await store.transitionRecord({ entity: 'invoice', key: 'INV-1', to: 'paid', at: '2026-11-24T00:00:00.000Z', cause }); // 14 days
  await store.transitionRecord({ entity: 'invoice', key: 'INV-2', to: 'issued', at: '2026-11-20T00:00:00.000Z', cause });
  await store.putTimer({ id: 'run:r4', kind: 'run', dueAt: '2026-11-28T00:00:00.000Z', runId: 'r4' });
});

describe('KPI facts in the store', () => {
  it('a fact per finished run, none for an open one', async () => {
    const facts = await listRunFacts(store);
    expect(facts.map((f) => f.runId).sort()).toEqual(['r0', 'r1', 'r2', 'r3']);
    const r1 = facts.find((f) => f.runId === 'r1')!;
    expect(r1).toMatchObject({ flowId: 'lead', critical: true, status: 'succeeded', minutesSaved: 20, leadCapturedAt: '2026-11-24T10:00:00.000Z', firstResponseAt: '2026-11-24T10:06:00.000Z' });
    expect(facts.find((f) => f.runId === 'r3')!.failure).toEqual({ nodeId: 'reply', error: 'SMTP 554 rejected' });
  });

  it('KPIs for a week with the founder baseline from settings', async () => {
    await setBaseline(store, { leadResponseMedianMinutes: 60, collectionDays: 20 });
    expect(await getBaseline(store)).toEqual({ leadResponseMedianMinutes: 60, collectionDays: 20 });
    const k = await kpisFromStore(store, W48);
    expect(k.leadResponse).toMatchObject({ samples: 2, medianMinutes: 8, baseline: 60, baselineSource: 'founder', met: true }); // 6, 10
    expect(k.manualHours.minutesSaved).toBe(20 + 20 + 5); // r1, r2, and r3's score
    expect(k.failureRate).toMatchObject({ finished: 3, dead: 1, met: false });
    expect(k.failureRate.value).toBeCloseTo(1 / 3, 12);
    expect(k.collectionLag).toMatchObject({ samples: 1, medianDays: 14, baseline: 20, met: true }); // 30% down
    expect(k.rejectedByReason).toEqual([{ reason: 'payload schema', count: 1 }]);
    expect(k.reviewQueue).toEqual({ open: 1, createdInPeriod: 2, resolvedInPeriod: 1, medianResolveMinutes: 45 });
    expect(k.deadLettersOpen).toBe(1);
    expect(k.reviewsOpen).toBe(1);
  });

  it('an earlier period as the baseline (baselineFrom/baselineTo)', async () => {
    await setBaseline(store, { leadResponseMedianMinutes: 60 });
    const k = await kpisFromStore(store, { ...W48, baselineFrom: '2026-11-16T00:00:00.000Z', baselineTo: W48.from });
    expect(k.leadResponse).toMatchObject({ baseline: 20, baselineSource: 'period', changePct: -60, met: true });
  });

  it('retention: after the runs are pruned, the KPI values for the pruned period are unchanged', async () => {
    const before = await kpisFromStore(store, W48);
    const pruned = await store.pruneRuns('2026-12-01T00:00:00.000Z');
    expect(pruned).toBe(4);
    expect(await store.getRun('r1')).toBeUndefined();
    expect(await store.countRuns()).toBe(1); // r4 is still waiting
    expect(await kpisFromStore(store, W48)).toEqual(before);
  });

  it('the retention job backfills missing facts, prunes runs older than the window, and the KPIs hold', async () => {
    const before = await kpisFromStore(store, W48);
    await store.deleteDoc('kpiFacts', 'run:r1'); // as if the process died between the run's end and its fact
    // now = 2026-12-26T10:00Z, 30 days → prune runs ended before 2026-11-26T10:00Z: r0, r1, r2 (r3 ended 10:13)
    const out = await runRetention(store, { now: '2026-12-26T10:00:00.000Z' });
    expect(out).toEqual({ factsWritten: 1, pruned: 3, before: '2026-11-26T10:00:00.000Z' });
    expect(await store.getRun('r2')).toBeUndefined();
    expect(await store.getRun('r3')).toBeDefined();
    expect(await kpisFromStore(store, W48)).toEqual(before);
    expect(retentionDaysFromEnv({})).toBe(30);
    expect(retentionDaysFromEnv({ FLOWDESK_RETENTION_DAYS: '7' })).toBe(7);
    expect(() => retentionDaysFromEnv({ FLOWDESK_RETENTION_DAYS: 'a week' })).toThrow(/FLOWDESK_RETENTION_DAYS/);
    await expect(runRetention(store, { now: '2026-12-26T10:00:00.000Z', days: -1 })).rejects.toThrow(RangeError);
  });

  it('backfill writes the facts that are missing, once', async () => {
    await store.deleteDoc('kpiFacts', 'run:r2');
    expect(await backfillRunFacts(store, 2)).toBe(1);
    expect(await backfillRunFacts(store, 2)).toBe(0);
    expect((await listRunFacts(store)).map((f) => f.runId).sort()).toEqual(['r0', 'r1', 'r2', 'r3']);
  });

  it('backfill over a window looks only at runs that ended since then, each fact by its id, not every fact stored', async () => {
    await store.deleteDoc('kpiFacts', 'run:r1'); // ended 2026-11-24
    await store.deleteDoc('kpiFacts', 'run:r3'); // ended 2026-11-26
    let listed = 0;
    const listDocs = store.listDocs.bind(store) as typeof store.listDocs;
    store.listDocs = ((c: Parameters<typeof store.listDocs>[0]) => (listed++, listDocs(c))) as typeof store.listDocs;
    expect(await backfillRunFacts(store, 2, '2026-11-25T00:00:00.000Z')).toBe(1);
    expect(listed).toBe(0);
    expect((await listRunFacts(store)).map((f) => f.runId).sort()).toEqual(['r0', 'r2', 'r3']);
    // the whole history (the first pass) finds the older one too
    expect(await backfillRunFacts(store, 2)).toBe(1);
    expect((await listRunFacts(store)).map((f) => f.runId).sort()).toEqual(['r0', 'r1', 'r2', 'r3']);
  });

  it('the daily pass reads the whole history the first time, then only the runs that ended since the pass before', async () => {
    const handlers = new Map<string, TimerHandler>();
    const clock = new ManualClock(Date.parse('2026-11-26T12:00:00.000Z'));
    const log = { info: () => {}, warn: () => {}, error: () => {} };
    await scheduleRetention({ store, scheduler: { on: (k, h) => void handlers.set(k, h) }, clock, log, days: 365 });
    const pass = async () => {
      const t = await store.getTimer('retention');
      expect(t?.dueAt).toBe(new Date(clock.now()).toISOString()); // overdue at start, then a day after each pass
      await handlers.get('retention')!(t!);
      return store.getDoc('settings', RETENTION_LAST_RUN_ID);
    };
    await store.deleteDoc('kpiFacts', 'run:r1');
    expect(await pass()).toMatchObject({ at: '2026-11-26T12:00:00.000Z', factsWritten: 1, pruned: 0 });
    // a day later: r1's fact lost again (older than the pass before), r5 ended since without its fact
    const r5 = leadRun('r5', '2026-11-26T18:00:00.000Z', 1);
    await store.createRun(r5);
    await store.deleteDoc('kpiFacts', 'run:r1');
    clock.set('2026-11-27T12:00:00.000Z');
    expect(await pass()).toMatchObject({ at: '2026-11-27T12:00:00.000Z', factsWritten: 1 });
    expect((await listRunFacts(store)).map((f) => f.runId).sort()).toEqual(['r0', 'r2', 'r3', 'r5']);
  });

  it("backfill writes a page's facts together (one journal write for the page, not one wait per fact)", async () => {
    for (const id of ['run:r0', 'run:r1', 'run:r2', 'run:r3']) await store.deleteDoc('kpiFacts', id);
    let pending = 0;
    let most = 0;
    const putDoc = store.putDoc.bind(store) as typeof store.putDoc;
    store.putDoc = (async (c: Parameters<typeof store.putDoc>[0], doc: never) => {
      pending++;
      most = Math.max(most, pending);
      await new Promise((r) => setImmediate(r));
      try {
        return await putDoc(c, doc);
      } finally {
        pending--;
      }
    }) as typeof store.putDoc;
    expect(await backfillRunFacts(store, 500)).toBe(4);
    expect(most).toBe(4);
  });

  it('queue depths for /metrics', async () => {
    expect(await queueDepths(store)).toEqual({ timers: 1, deadLetters: 1, reviews: 1 });
  });

  it('the weekly report from the store', async () => {
    const { markdown, html, kpis } = await weeklyReportFromStore(store, { week: '2026-W48', now: '2026-11-30T09:00:00.000Z' });
    expect(kpis.from).toBe(W48.from);
    expect(markdown).toContain('| lead | reply | SMTP 554 rejected | 1 |');
    expect(markdown).toContain('| r3 | lead | reply | 3d 22h |');
    expect(markdown).toContain('| leads | Low-fit lead: Acme | 4d 0h |');
    expect(markdown).toContain('- Churn survey (idle)');
    expect(markdown).toContain('- Harden lead: its failure rate 33.3% is above the 2% target for a critical path.');
    expect(markdown).toContain('- Clear the review queue: 1 review older than 2 days (oldest waiting 4d 0h).');
    expect(markdown).toContain('| Lead qualification (lead) | 3 | 15.0 | 45.0 |');
    expect(html).toContain('<li>Churn survey (idle)</li>');
  });
});
