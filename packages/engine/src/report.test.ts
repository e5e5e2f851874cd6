import { describe, expect, it } from 'vitest';
import { computeKpis, type RunFact } from './kpi.ts';
import { escapeHtml, escapeMarkdown, formatAge, isoWeekOf, isoWeekRange, weeklyReport, type WeeklyReportInput } from './report.ts';

describe('ISO weeks', () => {
  it('isoWeekRange: Monday 00:00Z to the next Monday', () => {
    expect(isoWeekRange('2026-W48')).toEqual({ from: '2026-11-23T00:00:00.000Z', to: '2026-11-30T00:00:00.000Z' });
    expect(isoWeekRange('2026-W01')).toEqual({ from: '2025-12-29T00:00:00.000Z', to: '2026-01-05T00:00:00.000Z' });
    // 2026 starts on a Thursday, so it has 53 weeks; 2025 does not
    expect(isoWeekRange('2026-W53')).toEqual({ from: '2026-12-28T00:00:00.000Z', to: '2027-01-04T00:00:00.000Z' });
    expect(isoWeekRange('2020-W53')).toEqual({ from: '2020-12-28T00:00:00.000Z', to: '2021-01-04T00:00:00.000Z' });
  });
  it('isoWeekRange refuses malformed and non-existent weeks', () => {
    expect(() => isoWeekRange('2025-W53')).toThrow(/no week 53/);
    expect(() => isoWeekRange('2026-W00')).toThrow(RangeError);
    expect(() => isoWeekRange('2026-48')).toThrow(RangeError);
    expect(() => isoWeekRange('2026-W4')).toThrow(RangeError);
  });
  it('isoWeekOf at the edges of weeks and years', () => {
    expect(isoWeekOf('2026-11-23T00:00:00.000Z')).toBe('2026-W48');
    expect(isoWeekOf('2026-11-22T23:59:59.999Z')).toBe('2026-W47');
    expect(isoWeekOf('2026-11-29T23:59:59.999Z')).toBe('2026-W48');
    expect(isoWeekOf('2026-01-01T12:00:00Z')).toBe('2026-W01'); // a Thursday
    expect(isoWeekOf('2021-01-03T12:00:00Z')).toBe('2020-W53'); // a Sunday
    expect(isoWeekOf('2024-12-30T00:00:00Z')).toBe('2025-W01'); // a Monday
    expect(() => isoWeekOf('soon')).toThrow(RangeError);
  });
  it('round trip for every week of 2019–2031', () => {
    for (let y = 2019; y <= 2031; y += 1) {
      for (let w = 1; w <= 53; w += 1) {
        const week = `${y}-W${String(w).padStart(2, '0')}`;
        let r: { from: string; to: string };
        try {
          r = isoWeekRange(week);
        } catch {
          expect(w).toBe(53);
          continue;
        }
        expect(new Date(r.from).getUTCDay()).toBe(1);
        expect(isoWeekOf(r.from)).toBe(week);
        expect(isoWeekOf(new Date(Date.parse(r.to) - 1).toISOString())).toBe(week);
      }
    }
  });
});

describe('formatting and escaping', () => {
  it('ages', () => {
    expect(formatAge(0)).toBe('0m');
    expect(formatAge(59 * 60_000)).toBe('59m');
    expect(formatAge(5 * 3_600_000 + 12 * 60_000)).toBe('5h 12m');
    expect(formatAge(3 * 86_400_000 + 4 * 3_600_000 + 59_999)).toBe('3d 4h');
  });
  it('escapes', () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
    expect(escapeMarkdown('a|b *c* _d_ `e` [f](g) <h>\nnext')).toBe('a\\|b \\*c\\* \\_d\\_ \\`e\\` \\[f\\](g) \\<h\\> next');
  });
});

const WEEK = '2026-W48';
const NOW = '2026-11-30T09:00:00.000Z';
let n = 0;
const fact = (p: Partial<RunFact>): RunFact => ({
  runId: `r${(n += 1)}`,
  flowId: 'lead-qualification',
  critical: true,
  status: 'succeeded',
  startedAt: '2026-11-24T10:00:00.000Z',
  endedAt: '2026-11-24T10:00:01.000Z',
  minutesSaved: 0,
  stepDurations: [],
  ...p,
});

function sample(over: Partial<WeeklyReportInput> = {}): WeeklyReportInput {
  const { from, to } = isoWeekRange(WEEK);
  const runs: RunFact[] = [
    // lead flow: 48 ok + 2 dead = 4% failure on a critical flow → "harden"
    ...Array.from({ length: 48 }, () =>
      fact({ minutesSaved: 10, leadCapturedAt: '2026-11-24T10:00:00.000Z', firstResponseAt: '2026-11-24T10:12:00.000Z' }),
    ),
    ...Array.from({ length: 2 }, () => fact({ status: 'dead', failure: { nodeId: 'crm', error: 'HTTP 503 from CRM' } })),
    fact({ flowId: 'birthday-card', critical: false, minutesSaved: 2 }),
  ];
  const kpis = computeKpis({
    from,
    to,
    runs,
    transitions: [],
    reviews: [],
    rejected: [{ id: 'e1', at: '2026-11-25T00:00:00Z', status: 422, reason: 'payload schema: /email must match format "email"' }],
    deadLettersOpen: 2,
    reviewsOpen: 2,
    baseline: { leadResponseMedianMinutes: 60, weeklyManualHours: 15, failureRate: 0.1, collectionDays: 40 },
  });
  return {
    week: WEEK,
    kpis,
    failures: [{ flowId: 'lead-qualification', nodeId: 'crm', error: 'HTTP 503 from CRM', count: 2 }],
    deadLetters: [
      { id: 'run-b', flowId: 'lead-qualification', nodeId: 'crm', createdAt: '2026-11-29T09:00:00.000Z' },
      { id: 'run-a', flowId: 'lead-qualification', nodeId: 'crm', createdAt: '2026-11-27T08:30:00.000Z' },
    ],
    reviews: [
      { id: 'rv1', queue: 'leads', title: '<script>alert(1)</script> | Acme', createdAt: '2026-11-27T09:00:00.000Z' },
      { id: 'rv2', queue: 'invoices', title: 'Check invoice 42', createdAt: '2026-11-29T21:00:00.000Z' },
    ],
    slowestSteps: [
      { flowId: 'lead-qualification', nodeId: 'crm', p90Ms: 12_500 },
      { flowId: 'lead-qualification', nodeId: 'score', p90Ms: 3 },
    ],
    flows: [
      { id: 'lead-qualification', name: 'Lead qualification', runs: 50, minutesSavedPerRun: 10 },
      { id: 'birthday-card', name: 'Birthday card', runs: 1, minutesSavedPerRun: 2 },
      { id: 'churn-survey', name: 'Churn survey', runs: 0, minutesSavedPerRun: 15 },
    ],
    now: NOW,
    ...over,
  };
}

describe('weeklyReport', () => {
  it('Markdown: KPIs against targets, failures, waiting items with ages, drift, slow steps, dead and low-value flows, actions', () => {
    const { markdown: md } = weeklyReport(sample());
    expect(md.startsWith('# Flowdesk weekly review — 2026-W48\n')).toBe(true);
    expect(md).toContain('Period 2026-11-23 to 2026-11-29 (UTC).');
    // lead SLA: median 12 min vs 60 → −80%, met
    expect(md).toContain('| Lead response (median) | 12.0 min, p90 12.0 min, 48 leads | 60.0 min | −48.0 min (−80.0%) |');
    expect(md).toMatch(/\| Lead response \(median\) .*\| met \|/);
    // 48·10 + 2 = 482 min = 8.0 h in one week, met; founder baseline 15 h
    expect(md).toMatch(/\| Manual hours reclaimed \| 8\.0 h\/week \| 15\.0 h\/week \| −8\.0 h\/week \(−53\.6%\) \| .* \| met \|/);
    // critical failure rate 2/50 = 4%
    expect(md).toMatch(/\| Failure rate \(critical paths\) \| 4\.0%, 2 of 51 runs overall \| 10\.0% \| −6\.0 pts \(−60\.0%\) \| .* \| not met \|/);
    expect(md).toMatch(/\| Cash collection lag \(median\) \| — \| 40\.0 days \| — \| .* \| no data \|/);
    expect(md).toContain('| lead-qualification | yes | 50 | 0 | 2 | 4.0% (above 2%) |');
    expect(md).toContain('| lead-qualification | crm | HTTP 503 from CRM | 2 |');
    // dead letters, oldest first, with ages at NOW
    expect(md).toContain('## Dead letters waiting (2)');
    expect(md.indexOf('| run-a | lead-qualification | crm | 3d 0h |')).toBeLessThan(md.indexOf('| run-b | lead-qualification | crm | 1d 0h |'));
    expect(md).toContain('| leads | \\<script\\>alert(1)\\</script\\> \\| Acme | 3d 0h |');
    expect(md).toContain('| invoices | Check invoice 42 | 12h 0m |');
    expect(md).toContain('| payload schema: /email must match format "email" | 1 |');
    expect(md).toContain('| lead-qualification | crm | 12.5 s |');
    expect(md).toContain('| lead-qualification | score | 3 ms |');
    expect(md).toContain('## Flows with no runs (dead automations)\n\n- Churn survey (churn-survey)');
    expect(md).toContain('| Birthday card (birthday-card) | 1 | 2.0 | 2.0 |\n| Lead qualification (lead-qualification) | 50 | 10.0 | 500.0 |');
    const actions = md.slice(md.indexOf('## Suggested actions'));
    expect(actions).toContain('- Harden lead-qualification: its failure rate 4.0% is above the 2% target for a critical path.');
    expect(actions).toContain('- Clear the review queue: 1 review older than 2 days (oldest waiting 3d 0h).');
    expect(actions).toContain('- Replay or discard 2 dead letters (oldest waiting 3d 0h).');
    expect(actions).toContain('- Check payload drift: 1 event rejected for "payload schema: /email must match format "email"" — fix the sender or update the contract.');
    expect(actions).toContain('- Speed up lead-qualification / crm: p90 12.5 s.');
    expect(actions).toContain('- Fix or retire Churn survey (churn-survey): it did not run this week.');
    expect(actions).toContain('- Consider cutting Birthday card (birthday-card): it saved only 2.0 minutes this week.');
    expect(actions).not.toContain('Speed up the first response');
  });

  it('a quiet week: no failures, nothing waiting, no actions', () => {
    const { from, to } = isoWeekRange(WEEK);
    const kpis = computeKpis({
      from,
      to,
      runs: Array.from({ length: 40 }, () => fact({ minutesSaved: 15 })),
      transitions: [],
      reviews: [],
      rejected: [],
      deadLettersOpen: 0,
      reviewsOpen: 0,
    });
    const { markdown: md } = weeklyReport({
      week: WEEK,
      kpis,
      failures: [],
      deadLetters: [],
      reviews: [{ id: 'rv', queue: 'leads', title: 'fresh', createdAt: '2026-11-29T09:00:00.000Z' }], // 1 day old: not stale
      slowestSteps: [],
      flows: [{ id: 'lead-qualification', name: 'Lead qualification', runs: 40, minutesSavedPerRun: 15 }],
      now: NOW,
    });
    expect(md).toContain('No failed or dead runs this week.');
    expect(md).toContain('## Dead letters waiting (0)\n\nNone.');
    expect(md).toContain('No events were rejected this week.');
    expect(md).toContain('Every flow ran this week.');
    expect(md).toContain('## Suggested actions\n\nNothing to act on this week.');
  });

  it('unmet baseline KPIs suggest their actions', () => {
    const base = sample();
    const kpis = structuredClone(base.kpis);
    kpis.leadResponse.met = false;
    kpis.leadResponse.value = 50;
    kpis.manualHours.met = false;
    kpis.manualHours.value = 2;
    kpis.collectionLag = { ...kpis.collectionLag, value: 38, baseline: 40, met: false };
    const { markdown } = weeklyReport({ ...base, kpis });
    expect(markdown).toContain('- Speed up the first response to leads: median 50.0 min against a baseline of 60.0 min (target: 40% faster).');
    expect(markdown).toContain('- Automate more high-frequency manual work: 2.0 h/week reclaimed, target 6 h/week.');
    expect(markdown).toContain('- Tighten invoice reminders and escalation: collection takes 38.0 days against a baseline of 40.0.');
  });

  it('HTML: a standalone escaped document with no scripts', () => {
    const { html } = weeklyReport(sample());
    expect(html.startsWith('<!doctype html>\n<html lang="en">')).toBe(true);
    expect(html.trimEnd().endsWith('</html>')).toBe(true);
    expect(html).toContain('<meta charset="utf-8">');
    expect(html).toContain('<title>Flowdesk weekly review — 2026-W48</title>');
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/\son\w+=/i); // no event handler attributes
    expect(html).not.toMatch(/<(link|img|iframe)\b/i); // nothing loaded from elsewhere
    expect(html).toContain('<td>&lt;script&gt;alert(1)&lt;/script&gt; | Acme</td>');
    expect(html).toContain('<td>lead-qualification</td><td>crm</td><td>HTTP 503 from CRM</td><td class="r">2</td>');
    expect(html).toContain('<h2>Suggested actions</h2>');
    expect(html).toContain('<td class="ok">met</td>');
    expect(html).toContain('<td class="bad">not met</td>');
    expect(html).toContain('<td class="none">no data</td>');
    expect(html).toContain('<li>Harden lead-qualification: its failure rate 4.0% is above the 2% target for a critical path.</li>');
    // every opened table closes
    expect(html.match(/<table>/g)?.length).toBe(html.match(/<\/table>/g)?.length);
  });
});
