// Undo/redo as a pure reducer over snapshots. Selection is not history: a selection change never adds
// an entry, and undo/redo keep the current selection on the restored snapshot.
export interface History<T> {
  past: T[];
  present: T;
  future: T[];
  /** the key of the last recorded change: changes with the same key coalesce (one drag = one entry) */
  lastKey?: string;
}
export type HistoryAction<T> =
  | { type: 'set'; value: T; record: boolean; key?: string }
  | { type: 'update'; fn: (present: T) => T; record: boolean; key?: string }
  | { type: 'undo' }
  | { type: 'redo' }
  | { type: 'reset'; value: T };

export interface HistoryOptions<T> {
  limit?: number;
  /** copy the selection of `from` onto `to` (undo/redo keep what is selected now) */
  carrySelection?: (from: T, to: T) => T;
}

export function initHistory<T>(value: T): History<T> {
  return { past: [], present: value, future: [] };
}

export function historyReducer<T>(opts: HistoryOptions<T> = {}) {
  const limit = opts.limit ?? 200;
  const carry = opts.carrySelection ?? ((_f: T, t: T) => t);
  return (h: History<T>, a: HistoryAction<T>): History<T> => {
    if (a.type === 'update') {
      const value = a.fn(h.present);
      if (value === h.present) return h;
      a = { type: 'set', value, record: a.record, key: a.key };
    }
    switch (a.type) {
      case 'set': {
        if (!a.record) return { ...h, present: a.value };
        if (a.key !== undefined && a.key === h.lastKey) return { ...h, present: a.value, future: [] };
        const past = [...h.past, h.present];
        if (past.length > limit) past.splice(0, past.length - limit);
        return { past, present: a.value, future: [], lastKey: a.key };
      }
      case 'undo': {
        if (!h.past.length) return h;
        const prev = h.past[h.past.length - 1];
        return { past: h.past.slice(0, -1), present: carry(h.present, prev), future: [h.present, ...h.future], lastKey: undefined };
      }
      case 'redo': {
        if (!h.future.length) return h;
        const [next, ...rest] = h.future;
        return { past: [...h.past, h.present], present: carry(h.present, next), future: rest, lastKey: undefined };
      }
      case 'reset':
        return initHistory(a.value);
      default:
        return h;
    }
  };
}
