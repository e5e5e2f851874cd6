// Gives a burst's garbage back once the runtime has gone quiet. V8's memory reducer is meant to, ~8 s after
// allocation stops, but in `--trace-gc` runs of bench:memory it collected the main isolate not once in the
// 20 s after 100k runs (the egress worker's isolate twice): the settled RSS was whatever the last
// collection during the load happened to leave, 171–191 MiB (heap used 27–51 MB). So once the event loop
// has been idle for FLOWDESK_IDLE_COLLECT_S seconds (5; 0 = off) and the heap holds well over what the
// last such collection left, the runtime runs one forced full collection, once per quiet stretch (V8
// returns the freed pages within a second): 133–171 MiB, heap used 25 MB (docs/performance.md, stop 43).
// It pauses the loop for tens of milliseconds, at a moment nothing is waiting on it.
// The young generation is given back too: V8 grows it under load (to 64 MB with npm start's
// --max-semi-space-size=32) and shrinks it only at a collection that finds the allocation rate of the
// last ~5 s low — never while idle on its own, nor at a collection whose window still holds the burst.
// So a collection is also due when the young generation holds over YOUNG_RELEASE_BYTES, and, while it still
// does afterwards, again after each of two more quiet stretches of the same length (the window quieter each
// time; bench:memory: released in 5 of 5 runs with three tries, 2 of 3 with two).
import { getHeapSpaceStatistics, getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { performance } from 'node:perf_hooks';
import { intSetting } from './int-setting.ts';

/** The event loop busy under this share of a second counts as quiet (timers and sweeps alone stay under 1%). */
export const QUIET_LOOP_SHARE = 0.05;
/** A heap under this is left alone: nothing worth a collection. */
export const MIN_HEAP_BYTES = 32 * 2 ** 20;
/** …and so is one under this multiple of what the last collection left live. */
export const GROWTH_FACTOR = 1.5;
export const DEFAULT_IDLE_COLLECT_S = 5;
/** A young generation committed past this (V8 starts it at 1–2 MB) is worth giving back. */
export const YOUNG_RELEASE_BYTES = 8 * 2 ** 20;

/** FLOWDESK_IDLE_COLLECT_S: seconds of quiet before the collection (0: off). */
export const idleCollectSeconds = (value: string | undefined): number => intSetting('FLOWDESK_IDLE_COLLECT_S', value, 0, 3600, DEFAULT_IDLE_COLLECT_S);

/** The decision alone, one sample per second: no clock, no V8. */
export class IdleCollection {
  private quiet = 0;
  private liveAfterLast = 0;

  constructor(private readonly quietSeconds: number) {}

  /**
   * One second's sample: the loop's busy share, the heap in use and the young generation's committed
   * size. True when a collection is due now: at most three times per quiet stretch.
   */
  step(loopShare: number, heapUsed: number, youngBytes = 0): boolean {
    this.quiet = loopShare < QUIET_LOOP_SHARE ? this.quiet + 1 : 0;
    const youngHeld = youngBytes > YOUNG_RELEASE_BYTES;
    if (this.quiet === this.quietSeconds) return youngHeld || (heapUsed >= MIN_HEAP_BYTES && heapUsed >= GROWTH_FACTOR * this.liveAfterLast);
    // the first left the young generation committed (V8 still saw the burst's allocation rate): twice more at most
    if (this.quiet === 2 * this.quietSeconds || this.quiet === 3 * this.quietSeconds) return youngHeld;
    return false;
  }

  /** What the collection left: the next one waits for the heap to grow past it. */
  collected(heapUsedAfter: number): void {
    this.liveAfterLast = heapUsedAfter;
  }
}

let gc: (() => void) | undefined;
/** A forced full collection (what `--expose-gc`'s `gc()` runs; given options, Node 20's V8 ran none). */
export function collectAndRelease(): void {
  if (!gc) {
    // exposes `gc` in a new context only: nothing in the runtime's own scope changes
    setFlagsFromString('--expose-gc');
    gc = runInNewContext('gc') as () => void;
  }
  gc();
}

/** The young generation's committed bytes (V8's new space). */
export const youngCommitted = (): number => getHeapSpaceStatistics().find((sp) => sp.space_name === 'new_space')?.space_size ?? 0;

/** Samples every second (an unref'd timer: it never keeps the process alive); returns the stop. */
export function startIdleCollection(quietSeconds: number): () => void {
  if (quietSeconds <= 0) return () => {};
  const decision = new IdleCollection(quietSeconds);
  let elu = performance.eventLoopUtilization();
  const timer = setInterval(() => {
    const now = performance.eventLoopUtilization();
    const share = performance.eventLoopUtilization(now, elu).utilization;
    elu = now;
    if (!decision.step(share, getHeapStatistics().used_heap_size, youngCommitted())) return;
    collectAndRelease();
    decision.collected(getHeapStatistics().used_heap_size);
  }, 1000);
  timer.unref();
  return () => clearInterval(timer);
}
