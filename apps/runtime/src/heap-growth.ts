// How far V8 lets the old generation grow past what the last full collection left live before the next
// one (FLOWDESK_HEAP_GROWING_PERCENT; main.ts sets it with v8.setFlagsFromString, which V8 reads each time
// it sizes the next limit, so that a Node whose V8 lacks the flag still starts). V8 picks a factor of about
// 1.1-1.5 for a heap as small as the runtime's: at 1,000 events/s a mark-compact every 1.5-2 s, whose
// pauses are much of the client's tail. 100 (twice the live size) brings that to 0-1 in 8 s and the p99
// at 1,000/s from ~7 to ~5 ms, but RSS after 100k runs from ~160 to 173-201 MiB, at or over the 200 MB
// target (docs/performance.md, stop 38): so the default is V8's own, and the knob is there to trade memory
// for the tail.
import { intSetting } from './int-setting.ts';

export const DEFAULT_HEAP_GROWING_PERCENT = 0;

/** FLOWDESK_HEAP_GROWING_PERCENT: 0 (default) leaves V8's own choice; an integer 1-400 sets the factor (1 + n/100). */
export const heapGrowingPercent = (value: string | undefined): number => intSetting('FLOWDESK_HEAP_GROWING_PERCENT', value, 0, 400, DEFAULT_HEAP_GROWING_PERCENT);
