// The runtime's helper threads at a lower CPU priority than its loop thread (FLOWDESK_HELPER_NICE, Linux).
// On a small machine the loop thread — which takes webhooks and answers them — shares the cores with the
// runtime's own helpers (the thread pool's fdatasyncs, V8's collector threads, the egress and sandbox
// workers); a helper woken beside it can hold its core for a scheduler slice while a request waits.
// A higher nice value for every thread but the main one lets the loop run first: at 1,000 events/s the
// client's p99 was lower in 11 of 12 interleaved rounds at 10 than at 0 (e.g. 8.7 against 12.5 ms, medians of
// 4; saturation not measurably moved: docs/performance.md, stop 39). No privilege is needed to lower a
// thread's own priority; a system without /proc is left as it is.
//
// Threads appear later than the start (the pool's on its first file operation, a worker on its first
// call), so the sweep runs again every few seconds; a thread already at that nice value or above is left.
import { readdirSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';
import { intSetting } from './int-setting.ts';

export const DEFAULT_HELPER_NICE = 10;
const SWEEP_MS = 5_000;

/** FLOWDESK_HELPER_NICE: the helpers' nice value, 1-19 (default 10); 0 leaves every thread at the process's priority. */
export const helperNice = (value: string | undefined): number => intSetting('FLOWDESK_HELPER_NICE', value, 0, 19, DEFAULT_HELPER_NICE);

export interface ThreadOps {
  /** the process's thread ids (Linux: /proc/self/task) */
  threads(): number[];
  getNice(tid: number): number;
  setNice(tid: number, nice: number): void;
}

export const linuxThreads: ThreadOps = {
  threads: () => readdirSync('/proc/self/task').map(Number),
  getNice: (tid) => getPriority(tid),
  setNice: (tid, nice) => setPriority(tid, nice),
};

/** Gives every thread but the main one (`mainTid`) at least `nice`; returns how many it changed. */
export function lowerHelperThreads(nice: number, mainTid: number, ops: ThreadOps = linuxThreads): number {
  let changed = 0;
  let tids: number[];
  try {
    tids = ops.threads();
  } catch {
    return 0; // no /proc: nothing to do
  }
  for (const tid of tids) {
    if (tid === mainTid) continue;
    try {
      if (ops.getNice(tid) >= nice) continue;
      ops.setNice(tid, nice);
      changed++;
    } catch {
      // the thread ended between the listing and the call
    }
  }
  return changed;
}

/** Sweeps now and every few seconds (an unref'd timer); returns the function that stops it. */
export function keepHelpersLowered(nice: number, mainTid = process.pid, ops: ThreadOps = linuxThreads): () => void {
  if (nice <= 0) return () => {};
  lowerHelperThreads(nice, mainTid, ops);
  const timer = setInterval(() => lowerHelperThreads(nice, mainTid, ops), SWEEP_MS);
  timer.unref();
  return () => clearInterval(timer);
}
