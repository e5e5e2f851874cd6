import { describe, expect, it } from 'vitest';
import { escapeMarkdown } from '@flowdesk/engine';
import { formatMinutes, formatTrend, formatValue, parseDays, periodFrom, verdict } from './format.ts';
import { parseMarkdown } from './markdown.ts';

describe('KPI formatting', () => {
  it('shows each unit with one decimal, a ratio as a percentage, null as a dash', () => {
    expect(formatValue(12.34, 'minutes')).toBe('12.3 min');
    expect(formatValue(7, 'hours/week')).toBe('7.0 h/week');
    expect(formatValue(0.0125, 'ratio')).toBe('1.3%');
    expect(formatValue(14.66, 'days')).toBe('14.7 days');
    expect(formatValue(null, 'days')).toBe('—');
  });
  it('spans of minutes in minutes, hours or days', () => {
    expect(formatMinutes(45)).toBe('45.0 min');
    expect(formatMinutes(390)).toBe('6.5 h');
    expect(formatMinutes(5935)).toBe('4.1 days');
    expect(formatMinutes(null)).toBe('—');
  });
  it('signs the trend', () => {
    expect(formatTrend(12)).toBe('+12.0%');
    expect(formatTrend(-18.25)).toBe('−18.3%');
    expect(formatTrend(-0.01)).toBe('0.0%');
    expect(formatTrend(null)).toBeNull();
  });
  it('says met / not met / no data, and no baseline when only the baseline is missing', () => {
    expect(verdict({ value: 1, met: true })).toBe('met');
    expect(verdict({ value: 1, met: false })).toBe('not met');
    expect(verdict({ value: null, met: null })).toBe('no data');
    expect(verdict({ value: 3, met: null })).toBe('no baseline');
  });
  it('periods: 7, 30 or 90 days back from the end', () => {
    expect(parseDays('7')).toBe(7);
    expect(parseDays('12')).toBe(30);
    expect(parseDays(null)).toBe(30);
    expect(periodFrom('2026-12-01T09:00:00.000Z', 7)).toBe('2026-11-24T09:00:00.000Z');
  });
});

describe('weekly review Markdown', () => {
  it('parses headings, paragraphs, lists and tables, undoing the escapes', () => {
    const md = [
      `# ${escapeMarkdown('Flowdesk weekly review — 2026-W48')}`,
      `Period 2026-11-23 to 2026-11-29 (UTC).`,
      `## KPIs`,
      `| KPI | Value | Status |\n| --- | ---: | --- |\n| ${escapeMarkdown('a|b <x> *y*')} | 1.0 | met |`,
      `- one\n- ${escapeMarkdown('two_2 [x]')}`,
    ].join('\n\n');
    expect(parseMarkdown(md)).toEqual([
      { kind: 'h1', text: 'Flowdesk weekly review — 2026-W48' },
      { kind: 'p', text: 'Period 2026-11-23 to 2026-11-29 (UTC).' },
      { kind: 'h2', text: 'KPIs' },
      { kind: 'table', head: ['KPI', 'Value', 'Status'], right: [false, true, false], rows: [['a|b <x> *y*', '1.0', 'met']] },
      { kind: 'ul', items: ['one', 'two_2 [x]'] },
    ]);
  });
});
