// Deferring work off the first render: `whenIdle` runs a function once the browser has nothing more
// urgent to do (after the frames that are due), or after `timeout` ms at the latest.

/** Runs `fn` when the main thread is idle (at most `timeout` ms from now); returns a cancel function. */
export function whenIdle(fn: () => void, timeout: number): () => void {
  if (typeof requestIdleCallback === 'function') {
    const id = requestIdleCallback(() => fn(), { timeout });
    return () => cancelIdleCallback(id);
  }
  // no idle callbacks (Safari): after the next frame has painted
  let t: ReturnType<typeof setTimeout> | undefined;
  const raf = requestAnimationFrame(() => (t = setTimeout(fn, 0)));
  return () => {
    cancelAnimationFrame(raf);
    clearTimeout(t);
  };
}

/** Runs `fn` after `ms`; returns a cancel function. */
export function afterMs(fn: () => void, ms: number): () => void {
  const t = setTimeout(fn, ms);
  return () => clearTimeout(t);
}
