// Load shedding for webhooks: past a bounded backlog of accepted-but-unprocessed runs, or with the heap
// nearly full, a webhook is answered 503 with Retry-After instead of being accepted into work the
// process cannot hold (senders such as Stripe retry). Nothing accepted is ever dropped; this only
// refuses to accept more. The backlog is the runner's queue: runs created and not yet parked or ended.
import { getHeapStatistics } from 'node:v8';

export const DEFAULT_MAX_BACKLOG = 5_000;
export const DEFAULT_SHED_HEAP_FRACTION = 0.9;
export const SHED_RETRY_AFTER_SECONDS = 5;

export type ShedDecision = { ok: true } | { ok: false; status: 503; retryAfterSeconds: number; reason: string };

export interface LoadShedder {
  check(): ShedDecision;
  readonly maxBacklog: number;
}

export interface LoadShedderOptions {
  maxBacklog: number;
  /** shed when the used heap passes this share of its limit (0 < f ≤ 1; 1 = never) */
  heapFraction: number;
  backlog: () => number;
  /** the used and limit heap sizes (bytes); default: V8's own */
  heap?: () => { used: number; limit: number };
}

const v8Heap = () => {
  const h = getHeapStatistics();
  return { used: h.used_heap_size, limit: h.heap_size_limit };
};

export function createLoadShedder(o: LoadShedderOptions): LoadShedder {
  const heap = o.heap ?? v8Heap;
  return {
    maxBacklog: o.maxBacklog,
    check() {
      const backlog = o.backlog();
      if (backlog >= o.maxBacklog) {
        return { ok: false, status: 503, retryAfterSeconds: SHED_RETRY_AFTER_SECONDS, reason: `overloaded: ${backlog} accepted events are waiting to be processed (limit ${o.maxBacklog}); retry later` };
      }
      if (o.heapFraction < 1) {
        const h = heap();
        if (h.used > h.limit * o.heapFraction) {
          return { ok: false, status: 503, retryAfterSeconds: SHED_RETRY_AFTER_SECONDS, reason: `overloaded: memory is ${Math.round((100 * h.used) / h.limit)}% full; retry later` };
        }
      }
      return { ok: true };
    },
  };
}

/** FLOWDESK_MAX_BACKLOG (default 5,000) and FLOWDESK_SHED_HEAP (default 0.9) from the environment; bad values refused by name. */
export function loadSheddingFromEnv(env: Record<string, string | undefined>): { maxBacklog: number; heapFraction: number } {
  const backlog = env.FLOWDESK_MAX_BACKLOG;
  const heap = env.FLOWDESK_SHED_HEAP;
  const maxBacklog = backlog === undefined || backlog === '' ? DEFAULT_MAX_BACKLOG : Number(backlog);
  if (!Number.isInteger(maxBacklog) || maxBacklog < 1) throw new RangeError(`FLOWDESK_MAX_BACKLOG must be a whole number ≥ 1, got "${backlog}"`);
  const heapFraction = heap === undefined || heap === '' ? DEFAULT_SHED_HEAP_FRACTION : Number(heap);
  if (!Number.isFinite(heapFraction) || heapFraction <= 0 || heapFraction > 1) throw new RangeError(`FLOWDESK_SHED_HEAP must be a number in (0, 1], got "${heap}"`);
  return { maxBacklog, heapFraction };
}
