// The weekly review (the guide's weekly ritual): KPIs against targets, what failed and why, what waits
// for a human, payload drift, slow steps, dead and low-value automations, and what to do about it.
// Pure: `now` comes in. One document model rendered twice, as Markdown and as a standalone HTML page
// (escaped, no scripts, inline CSS).
import type { HeadlineKpi, KpiResult } from './kpi.ts';
import { isoWeekRange } from './week.ts';

export { isoWeekOf, isoWeekRange } from './week.ts';

const DAY = 86_400_000;

// ── input ─────────────────────────────────────────────────────────────────────────────────────────

export interface WeeklyReportInput {
  week: string;
  kpis: KpiResult;
  failures: { flowId: string; nodeId: string; error: string; count: number }[];
  deadLetters: { id: string; flowId: string; nodeId: string; createdAt: string }[];
  reviews: { id: string; queue: string; title: string; createdAt: string }[];
  slowestSteps: { flowId: string; nodeId: string; p90Ms: number }[];
  flows: { id: string; name: string; runs: number; minutesSavedPerRun: number }[];
  now: string;
}

/** Thresholds the suggested actions use. */
export const REPORT_RULES = {
  /** reviews waiting longer than this → "clear the review queue" */
  staleReviewMs: 2 * DAY,
  /** a flow saving less than this many minutes in the week is low value */
  lowValueMinutes: 60,
  /** a non-critical flow failing more often than this → "look into" */
  nonCriticalFailureRate: 0.1,
  /** a step slower than this at p90 → "speed up" */
  slowStepMs: 10_000,
} as const;

// ── document model ────────────────────────────────────────────────────────────────────────────────

type Block =
  | { kind: 'h1' | 'h2' | 'p'; text: string }
  | { kind: 'ul'; items: string[] }
  | { kind: 'table'; head: string[]; rows: string[][]; align?: ('l' | 'r')[] };

const fmt1 = (n: number) => (Math.round(n * 10) / 10).toFixed(1);
const pct = (r: number) => `${fmt1(r * 100)}%`;

export function formatAge(ms: number): string {
  const m = Math.max(0, Math.floor(ms / 60_000));
  const d = Math.floor(m / 1440);
  const h = Math.floor((m % 1440) / 60);
  const mm = m % 60;
  if (d > 0) return `${d}d ${h}h`;
  if (h > 0) return `${h}h ${mm}m`;
  return `${mm}m`;
}

function formatMs(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${fmt1(ms / 1000)} s`;
  return `${fmt1(ms / 60_000)} min`;
}

function formatValue(k: HeadlineKpi, v: number | null): string {
  if (v === null) return '—';
  switch (k.unit) {
    case 'minutes':
      return `${fmt1(v)} min`;
    case 'hours/week':
      return `${fmt1(v)} h/week`;
    case 'ratio':
      return pct(v);
    case 'days':
      return `${fmt1(v)} days`;
  }
}

function formatChange(k: HeadlineKpi): string {
  if (k.change === null) return '—';
  const sign = k.change > 0 ? '+' : k.change < 0 ? '−' : '±';
  const abs = Math.abs(k.change);
  const v = k.unit === 'ratio' ? `${fmt1(abs * 100)} pts` : formatValue(k, abs);
  return k.changePct === null ? `${sign}${v}` : `${sign}${v} (${k.changePct > 0 ? '+' : k.changePct < 0 ? '−' : ''}${fmt1(Math.abs(k.changePct))}%)`;
}

// plain words (no emoji: a headless browser or a mail client may have no emoji font); the HTML colours them
const status = (met: boolean | null) => (met === null ? 'no data' : met ? 'met' : 'not met');
const STATUS_CLASS: Record<string, string> = { met: 'ok', 'not met': 'bad', 'no data': 'none' };

function build(input: WeeklyReportInput): Block[] {
  const { kpis: k, week } = input;
  const now = Date.parse(input.now);
  const range = isoWeekRange(week);
  const age = (iso: string) => formatAge(now - Date.parse(iso));
  const blocks: Block[] = [];
  blocks.push({ kind: 'h1', text: `Flowdesk weekly review — ${week}` });
  blocks.push({ kind: 'p', text: `Period ${range.from.slice(0, 10)} to ${new Date(Date.parse(range.to) - DAY).toISOString().slice(0, 10)} (UTC). Generated ${input.now}.` });

  // KPIs against targets
  blocks.push({ kind: 'h2', text: 'KPIs against targets' });
  const row = (name: string, h: HeadlineKpi, extra = ''): string[] => [
    name,
    formatValue(h, h.value) + extra,
    h.baseline === null ? '—' : `${formatValue(h, h.baseline)}${h.baselineSource === 'period' ? ' (earlier period)' : ''}`,
    formatChange(h),
    `${h.target.text} (${h.target.rule})`,
    status(h.met),
  ];
  blocks.push({
    kind: 'table',
    head: ['KPI', 'This week', 'Baseline', 'Change', 'Target', 'Status'],
    rows: [
      row('Lead response (median)', k.leadResponse, k.leadResponse.p90Minutes === null ? '' : `, p90 ${fmt1(k.leadResponse.p90Minutes)} min, ${k.leadResponse.samples} leads`),
      row('Manual hours reclaimed', k.manualHours),
      row('Failure rate (critical paths)', k.failureRate, `, ${k.failureRate.failed + k.failureRate.dead} of ${k.failureRate.finished} runs overall`),
      row('Cash collection lag (median)', k.collectionLag, k.collectionLag.samples > 0 ? `, ${k.collectionLag.samples} invoices paid` : ''),
    ],
  });
  blocks.push({
    kind: 'ul',
    items: [
      `Review queue: ${k.reviewQueue.open} open, ${k.reviewQueue.resolvedInPeriod} resolved this week, median time to resolve ${k.reviewQueue.medianResolveMinutes === null ? '—' : `${fmt1(k.reviewQueue.medianResolveMinutes)} min`}`,
      `Dead letters waiting: ${k.deadLettersOpen}`,
      `Rejected events this week: ${k.rejectedByReason.reduce((s, r) => s + r.count, 0)}`,
    ],
  });
  if (k.failureRate.perFlow.length > 0) {
    blocks.push({
      kind: 'table',
      head: ['Flow', 'Critical', 'Finished', 'Failed', 'Dead', 'Failure rate'],
      align: ['l', 'l', 'r', 'r', 'r', 'r'],
      rows: k.failureRate.perFlow.map((f) => [
        f.flowId,
        f.critical ? 'yes' : 'no',
        String(f.finished),
        String(f.failed),
        String(f.dead),
        (f.rate === null ? '—' : pct(f.rate)) + (f.flagged ? ' (above 2%)' : ''),
      ]),
    });
  }

  // what failed and why
  blocks.push({ kind: 'h2', text: 'What failed and why' });
  if (input.failures.length === 0) blocks.push({ kind: 'p', text: 'No failed or dead runs this week.' });
  else
    blocks.push({
      kind: 'table',
      head: ['Flow', 'Node', 'Error', 'Runs'],
      align: ['l', 'l', 'l', 'r'],
      rows: input.failures.map((f) => [f.flowId, f.nodeId, f.error, String(f.count)]),
    });

  // waiting for a human
  const deadLetters = [...input.deadLetters].sort((a, b) => Date.parse(a.createdAt) - Date.parse(b.createdAt));
  blocks.push({ kind: 'h2', text: `Dead letters waiting (${deadLetters.length})` });
  if (deadLetters.length === 0) blocks.push({ kind: 'p', text: 'None.' });
  else blocks.push({ kind: 'table', head: ['Run', 'Flow', 'Node', 'Waiting'], rows: deadLetters.map((d) => [d.id, d.flowId, d.nodeId, age(d.createdAt)]) });

  const reviews = [...input.reviews].sort((a, b) => Date.parse(a.createdAt) - Date.parse(b.createdAt));
  blocks.push({ kind: 'h2', text: `Reviews waiting (${reviews.length})` });
  if (reviews.length === 0) blocks.push({ kind: 'p', text: 'None.' });
  else blocks.push({ kind: 'table', head: ['Queue', 'Title', 'Waiting'], rows: reviews.map((r) => [r.queue, r.title, age(r.createdAt)]) });

  // payload drift
  blocks.push({ kind: 'h2', text: 'Payload drift (rejected events by reason)' });
  if (k.rejectedByReason.length === 0) blocks.push({ kind: 'p', text: 'No events were rejected this week.' });
  else blocks.push({ kind: 'table', head: ['Reason', 'Events'], align: ['l', 'r'], rows: k.rejectedByReason.map((r) => [r.reason, String(r.count)]) });

  // slowest steps
  blocks.push({ kind: 'h2', text: 'Slowest steps (p90)' });
  if (input.slowestSteps.length === 0) blocks.push({ kind: 'p', text: 'No step timings this week.' });
  else
    blocks.push({
      kind: 'table',
      head: ['Flow', 'Node', 'p90'],
      align: ['l', 'l', 'r'],
      rows: input.slowestSteps.map((s) => [s.flowId, s.nodeId, formatMs(s.p90Ms)]),
    });

  // dead and low-value automations
  const idle = input.flows.filter((f) => f.runs === 0);
  blocks.push({ kind: 'h2', text: 'Flows with no runs (dead automations)' });
  if (idle.length === 0) blocks.push({ kind: 'p', text: 'Every flow ran this week.' });
  else blocks.push({ kind: 'ul', items: idle.map((f) => `${f.name} (${f.id})`) });

  const valued = input.flows
    .filter((f) => f.runs > 0)
    .map((f) => ({ ...f, minutes: f.runs * f.minutesSavedPerRun }))
    .sort((a, b) => a.minutes - b.minutes || a.id.localeCompare(b.id));
  const lowValue = valued.filter((f) => f.minutes < REPORT_RULES.lowValueMinutes);
  blocks.push({ kind: 'h2', text: 'Lowest-value flows (runs × minutes saved)' });
  if (valued.length === 0) blocks.push({ kind: 'p', text: 'No flow ran this week.' });
  else
    blocks.push({
      kind: 'table',
      head: ['Flow', 'Runs', 'Minutes saved per run', 'Minutes saved'],
      align: ['l', 'r', 'r', 'r'],
      rows: valued.slice(0, 5).map((f) => [`${f.name} (${f.id})`, String(f.runs), fmt1(f.minutesSavedPerRun), fmt1(f.minutes)]),
    });

  // suggested actions
  const actions: string[] = [];
  for (const f of k.failureRate.perFlow) {
    if (f.flagged) actions.push(`Harden ${f.flowId}: its failure rate ${pct(f.rate!)} is above the 2% target for a critical path.`);
    else if (!f.critical && f.rate !== null && f.rate > REPORT_RULES.nonCriticalFailureRate)
      actions.push(`Look into ${f.flowId}: ${pct(f.rate)} of its runs failed.`);
  }
  const stale = reviews.filter((r) => now - Date.parse(r.createdAt) > REPORT_RULES.staleReviewMs);
  if (stale.length > 0) actions.push(`Clear the review queue: ${stale.length} review${stale.length === 1 ? '' : 's'} older than 2 days (oldest waiting ${age(stale[0].createdAt)}).`);
  if (deadLetters.length > 0) actions.push(`Replay or discard ${deadLetters.length} dead letter${deadLetters.length === 1 ? '' : 's'} (oldest waiting ${age(deadLetters[0].createdAt)}).`);
  if (k.rejectedByReason.length > 0) {
    const top = k.rejectedByReason[0];
    actions.push(`Check payload drift: ${top.count} event${top.count === 1 ? '' : 's'} rejected for "${top.reason}" — fix the sender or update the contract.`);
  }
  if (k.leadResponse.met === false) actions.push(`Speed up the first response to leads: median ${fmt1(k.leadResponse.value!)} min against a baseline of ${fmt1(k.leadResponse.baseline!)} min (target: 40% faster).`);
  if (k.manualHours.met === false) actions.push(`Automate more high-frequency manual work: ${fmt1(k.manualHours.value!)} h/week reclaimed, target 6 h/week.`);
  if (k.collectionLag.met === false) actions.push(`Tighten invoice reminders and escalation: collection takes ${fmt1(k.collectionLag.value!)} days against a baseline of ${fmt1(k.collectionLag.baseline!)}.`);
  for (const s of input.slowestSteps) if (s.p90Ms > REPORT_RULES.slowStepMs) actions.push(`Speed up ${s.flowId} / ${s.nodeId}: p90 ${formatMs(s.p90Ms)}.`);
  for (const f of idle) actions.push(`Fix or retire ${f.name} (${f.id}): it did not run this week.`);
  for (const f of lowValue) actions.push(`Consider cutting ${f.name} (${f.id}): it saved only ${fmt1(f.minutes)} minutes this week.`);
  blocks.push({ kind: 'h2', text: 'Suggested actions' });
  blocks.push(actions.length === 0 ? { kind: 'p', text: 'Nothing to act on this week.' } : { kind: 'ul', items: actions });
  return blocks;
}

// ── rendering ─────────────────────────────────────────────────────────────────────────────────────

/** Escapes text for Markdown: characters with meaning become literal, newlines become spaces. */
export function escapeMarkdown(s: string): string {
  return s.replace(/\r?\n|\r/g, ' ').replace(/[\\`*_[\]<>|#]/g, (c) => `\\${c}`);
}

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

function toMarkdown(blocks: Block[]): string {
  const out: string[] = [];
  for (const b of blocks) {
    switch (b.kind) {
      case 'h1':
        out.push(`# ${escapeMarkdown(b.text)}`);
        break;
      case 'h2':
        out.push(`## ${escapeMarkdown(b.text)}`);
        break;
      case 'p':
        out.push(escapeMarkdown(b.text));
        break;
      case 'ul':
        out.push(b.items.map((i) => `- ${escapeMarkdown(i)}`).join('\n'));
        break;
      case 'table': {
        const line = (cells: string[]) => `| ${cells.map(escapeMarkdown).join(' | ')} |`;
        const sep = `| ${b.head.map((_, i) => (b.align?.[i] === 'r' ? '---:' : '---')).join(' | ')} |`;
        out.push([line(b.head), sep, ...b.rows.map(line)].join('\n'));
        break;
      }
    }
  }
  return `${out.join('\n\n')}\n`;
}

const CSS = `body{font:15px/1.5 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;color:#1f2933;max-width:980px;margin:2rem auto;padding:0 1rem}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #d9e2ec;padding-bottom:.2rem}
table{border-collapse:collapse;width:100%;margin:.5rem 0}th,td{border:1px solid #d9e2ec;padding:.35rem .5rem;text-align:left;vertical-align:top}
th{background:#f0f4f8}td.r,th.r{text-align:right}li{margin:.2rem 0}p{margin:.4rem 0}
td.ok{color:#0b6e4f;font-weight:600}td.bad{color:#b42318;font-weight:600}td.none{color:#7b8794}`;

function toHtml(blocks: Block[], title: string): string {
  const e = escapeHtml;
  const body = blocks
    .map((b) => {
      switch (b.kind) {
        case 'h1':
        case 'h2':
        case 'p':
          return `<${b.kind}>${e(b.text)}</${b.kind}>`;
        case 'ul':
          return `<ul>${b.items.map((i) => `<li>${e(i)}</li>`).join('')}</ul>`;
        case 'table': {
          const cls = (i: number) => (b.align?.[i] === 'r' ? ' class="r"' : '');
          const cellCls = (c: string, i: number) => (b.head[i] === 'Status' && STATUS_CLASS[c] ? ` class="${STATUS_CLASS[c]}"` : cls(i));
          const head = `<thead><tr>${b.head.map((h, i) => `<th${cls(i)}>${e(h)}</th>`).join('')}</tr></thead>`;
          const rows = b.rows.map((r) => `<tr>${r.map((c, i) => `<td${cellCls(c, i)}>${e(c)}</td>`).join('')}</tr>`).join('\n');
          return `<table>${head}<tbody>\n${rows}\n</tbody></table>`;
        }
      }
    })
    .join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${e(title)}</title>
<style>${CSS}</style>
</head>
<body>
${body}
</body>
</html>
`;
}

export function weeklyReport(input: WeeklyReportInput): { markdown: string; html: string } {
  const blocks = build(input);
  return { markdown: toMarkdown(blocks), html: toHtml(blocks, `Flowdesk weekly review — ${input.week}`) };
}
