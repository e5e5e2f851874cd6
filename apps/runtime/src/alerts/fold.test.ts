import { describe, expect, it } from 'vitest';
import { closeFoldWindow, FOLD_WINDOW_MS, foldAlert, foldKey, summaryTimerId, type FoldState } from './fold.ts';

const KEY = foldKey('lead-qualification', 'welcome', 'dead_letter');
const T0 = 1_700_000_000_000;
const MIN = 60_000;

describe('foldAlert', () => {
  it('names keys and timers per (flow, node, kind)', () => {
    expect(KEY).toBe('lead-qualification:welcome:dead_letter');
    expect(foldKey('f', undefined, 'raised')).toBe('f:-:raised');
    expect(summaryTimerId(KEY)).toBe('alert-summary:lead-qualification:welcome:dead_letter');
  });

  it('delivers the first alert at once and opens a 10 minute window', () => {
    const d = foldAlert(undefined, KEY, T0);
    expect(d).toEqual({ deliverNow: true, state: { key: KEY, windowStartedAt: T0, windowEndsAt: T0 + FOLD_WINDOW_MS, suppressed: 0 } });
  });

  it('folds 4 repeats within the window, each naming the window end as the summary time', () => {
    let state: FoldState | undefined;
    const decisions = [0, 1, 2, 3, 4].map((i) => {
      const d = foldAlert(state, KEY, T0 + i * MIN);
      state = d.state;
      return d;
    });
    expect(decisions.map((d) => d.deliverNow)).toEqual([true, false, false, false, false]);
    expect(decisions.slice(1).every((d) => d.summaryDueAt === T0 + 10 * MIN)).toBe(true);
    expect(state!.suppressed).toBe(4);
    expect(foldAlert(state, KEY, T0 + 10 * MIN - 1).deliverNow).toBe(false);
  });

  it('opens a new window once the old one closed; flushes a summary its late timer did not send', () => {
    const closedClean: FoldState = { key: KEY, windowStartedAt: T0, windowEndsAt: T0 + 10 * MIN, suppressed: 0 };
    expect(foldAlert(closedClean, KEY, T0 + 10 * MIN)).toEqual({
      deliverNow: true,
      state: { key: KEY, windowStartedAt: T0 + 10 * MIN, windowEndsAt: T0 + 20 * MIN, suppressed: 0 },
    });
    const closedPending = { ...closedClean, suppressed: 3 };
    const d = foldAlert(closedPending, KEY, T0 + 12 * MIN);
    expect(d.deliverNow).toBe(true);
    expect(d.flushSummary).toBe(3);
    expect(d.state.suppressed).toBe(0);
  });

  it('honours a custom window', () => {
    const d = foldAlert(undefined, KEY, T0, 1000);
    expect(foldAlert(d.state, KEY, T0 + 999).deliverNow).toBe(false);
    expect(foldAlert(d.state, KEY, T0 + 1000).deliverNow).toBe(true);
  });
});

describe('closeFoldWindow', () => {
  const open: FoldState = { key: KEY, windowStartedAt: T0, windowEndsAt: T0 + 10 * MIN, suppressed: 4 };
  it('takes the count of a closed window and resets it', () => {
    expect(closeFoldWindow(open, T0 + 10 * MIN)).toEqual({ summaryCount: 4, state: { ...open, suppressed: 0 } });
  });
  it('asks for a reschedule when fired early, and sends nothing when nothing was folded', () => {
    expect(closeFoldWindow(open, T0 + 5 * MIN)).toEqual({ summaryCount: 0, state: open, rescheduleAt: T0 + 10 * MIN });
    expect(closeFoldWindow({ ...open, suppressed: 0 }, T0 + 11 * MIN).summaryCount).toBe(0);
    expect(closeFoldWindow(undefined, T0).summaryCount).toBe(0);
  });
});
