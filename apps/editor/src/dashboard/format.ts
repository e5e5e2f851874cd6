// Plain-word formatting of KPI values for the dashboard: numbers with one decimal, a ratio as a
// percentage, a signed trend, and the met / not met / no data word with its colour class.
import type { HeadlineKpi } from '@flowdesk/engine';

const MINUS = '\u2212';
const DAY = 86_400_000;

export const one = (n: number): string => (Math.abs(n) < 0.05 ? '0.0' : n.toFixed(1)).replace('-', MINUS);

/** A headline value with its unit: "12.5 min", "7.3 h/week", "1.2%", "14.7 days"; null → "—". */
export function formatValue(value: number | null, unit: HeadlineKpi['unit']): string {
  if (value === null) return '—';
  switch (unit) {
    case 'minutes':
      return `${one(value)} min`;
    case 'hours/week':
      return `${one(value)} h/week`;
    case 'ratio':
      return `${one(value * 100)}%`;
    case 'days':
      return `${one(value)} days`;
  }
}

/** The trend against the baseline as a signed percentage: "+12.0%", "−18.2%", "0.0%"; null → null. */
export function formatTrend(changePct: number | null): string | null {
  if (changePct === null || !Number.isFinite(changePct)) return null;
  const s = one(changePct);
  return s === '0.0' || s.startsWith(MINUS) ? `${s}%` : `+${s}%`;
}

export type Verdict = 'met' | 'not met' | 'no data' | 'no baseline';

/** "no baseline" when there is a value but the target needs a baseline that is missing. */
export function verdict(k: Pick<HeadlineKpi, 'value' | 'met'>): Verdict {
  if (k.met === true) return 'met';
  if (k.met === false) return 'not met';
  return k.value === null ? 'no data' : 'no baseline';
}

export const verdictClass = (v: Verdict): string => (v === 'met' ? 'ok' : v === 'not met' ? 'bad' : 'none');

/** A span of minutes in the unit that reads best: "45.0 min", "6.5 h", "4.1 days". */
export function formatMinutes(min: number | null): string {
  if (min === null) return '—';
  if (min < 120) return `${one(min)} min`;
  if (min < 48 * 60) return `${one(min / 60)} h`;
  return `${one(min / 1440)} days`;
}

export function formatMs(ms: number | null): string {
  if (ms === null) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${one(ms / 1000)} s`;
  return `${one(ms / 60_000)} min`;
}

export const PERIODS = [7, 30, 90] as const;
export type PeriodDays = (typeof PERIODS)[number];

export const parseDays = (s: string | null): PeriodDays => (PERIODS as readonly number[]).includes(Number(s)) ? (Number(s) as PeriodDays) : 30;

/** [from, to) of the last `days` days ending at `to`. */
export const periodFrom = (to: string, days: number): string => new Date(Date.parse(to) - days * DAY).toISOString();
