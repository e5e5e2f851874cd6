// Alert folding, pure: the first alert of a (flow, node, kind) goes out at once and opens a window;
// repeats inside the window are counted, and one trailing summary carries the count when it closes.
export const FOLD_WINDOW_MS = 10 * 60_000;

export interface FoldState {
  key: string;
  windowStartedAt: number; // ms
  windowEndsAt: number; // ms
  /** repeats inside the window not delivered individually (not yet summarised) */
  suppressed: number;
}

export interface FoldDecision {
  deliverNow: boolean;
  state: FoldState;
  /** when the summary timer is due (set on every folded repeat; the timer id is per key, so re-putting is idempotent) */
  summaryDueAt?: number;
  /** repeats of the previous, already closed window whose summary has not gone out yet (its timer is late): send it now */
  flushSummary?: number;
}

export const foldKey = (flowId: string, nodeId: string | undefined, kind: string): string => `${flowId}:${nodeId ?? '-'}:${kind}`;
export const summaryTimerId = (key: string): string => `alert-summary:${key}`;

export function foldAlert(state: FoldState | undefined, key: string, nowMs: number, windowMs: number = FOLD_WINDOW_MS): FoldDecision {
  if (!state || nowMs >= state.windowEndsAt) {
    const fresh: FoldState = { key, windowStartedAt: nowMs, windowEndsAt: nowMs + windowMs, suppressed: 0 };
    return state && state.suppressed > 0 ? { deliverNow: true, state: fresh, flushSummary: state.suppressed } : { deliverNow: true, state: fresh };
  }
  return { deliverNow: false, state: { ...state, suppressed: state.suppressed + 1 }, summaryDueAt: state.windowEndsAt };
}

export interface CloseDecision {
  /** how many repeats the summary carries; 0 = nothing to send */
  summaryCount: number;
  state: FoldState | undefined;
  /** the timer fired before the window closed: put it again for this time */
  rescheduleAt?: number;
}

/** What the summary timer does at `nowMs`: take the count of a closed window and reset it. */
export function closeFoldWindow(state: FoldState | undefined, nowMs: number): CloseDecision {
  if (!state || state.suppressed === 0) return { summaryCount: 0, state };
  if (nowMs < state.windowEndsAt) return { summaryCount: 0, state, rescheduleAt: state.windowEndsAt };
  return { summaryCount: state.suppressed, state: { ...state, suppressed: 0 } };
}
