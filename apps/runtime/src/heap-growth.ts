// How far V8 lets the old generation grow past what the last full collection left live before the next
// one (FLOWDESK_HEAP_GROWING_PERCENT; main.ts sets it with v8.setFlagsFromString, which V8 reads each time
// it sizes the next limit, so that a Node whose V8 lacks the flag still starts). V8's own factor for a
// heap as small as the runtime's is about 1.1-1.3: at 1,000 events/s a mark-compact every 1.5-2 s, whose
// pauses are much of the client's tail. 100 (up to twice the live size; V8 still caps a limit at half-way
// to --max-old-space-size) brings that to 0-1 in 8 s (fewer pauses in the client's tail) and the CPU per
// event down ~5%. The price is garbage held longer while busy: RSS during a 100k-run burst up to ~205 MiB
// against ~170, given back by V8's memory reducer ~8 s after the load stops (docs/performance.md, stop 41).
// 0 leaves V8's own factor.
import { intSetting } from './int-setting.ts';

export const DEFAULT_HEAP_GROWING_PERCENT = 100;

/** FLOWDESK_HEAP_GROWING_PERCENT: 100 (default) lets the old generation grow to twice its live size; 0 leaves V8's own choice; an integer 1-400 sets the factor (1 + n/100). */
export const heapGrowingPercent = (value: string | undefined): number => intSetting('FLOWDESK_HEAP_GROWING_PERCENT', value, 0, 400, DEFAULT_HEAP_GROWING_PERCENT);
