// Timers the editor's hooks cancel on cleanup.

/** Runs `fn` after `ms`; returns a cancel function. */
export function afterMs(fn: () => void, ms: number): () => void {
  const t = setTimeout(fn, ms);
  return () => clearTimeout(t);
}
