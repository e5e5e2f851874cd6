// How far V8 lets the old generation grow past what the last full collection left live before the next
// one. V8 picks a factor of about 1.1–1.5 for a heap as small as the runtime's (~20–40 MB live), so at
// 1,000 events/s the ~4 KB each event promotes brought a mark-compact every 1.5–2 s, and their pauses were
// the client's tail. At 100 (twice the live size) it is 0–1 in 8 s; RSS after 100k runs ~14 MiB more
// (docs/performance.md, stop 38). Set from main.ts with v8.setFlagsFromString (V8 reads the flag each time
// it sizes the next limit), not as a node flag, so that a Node whose V8 lacks the flag still starts.

export const DEFAULT_HEAP_GROWING_PERCENT = 100;

/** FLOWDESK_HEAP_GROWING_PERCENT: 0 leaves V8's own choice; an integer 1–400 sets the factor (1 + n/100). */
export function heapGrowingPercent(value: string | undefined): number {
  if (value === undefined || value.trim() === '') return DEFAULT_HEAP_GROWING_PERCENT;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 400) throw new Error(`FLOWDESK_HEAP_GROWING_PERCENT must be an integer from 0 to 400, not "${value}"`);
  return n;
}
