// Preloaded into the soak's runtime (`node --import bench/soak-probe.mjs`): once a second it appends one
// JSON line to $FLOWDESK_SOAK_PROBE with the longest event-loop stall and the longest GC pause of that
// second, so the soak can print them beside p99 — a stall the runtime caused shows here, a stall of the
// load generator does not. Plain .mjs so it loads without tsx next to the bundle.
import { appendFileSync } from 'node:fs';
import { setInterval } from 'node:timers';
import { PerformanceObserver, performance } from 'node:perf_hooks';

const out = process.env.FLOWDESK_SOAK_PROBE;
if (out) {
  const TICK_MS = 5;
  const GC_KINDS = { 1: 'minor', 2: 'major', 4: 'incremental', 8: 'weakcb' };
  let w = { loopMaxMs: 0, stalls20: 0, stallMs: 0, gcMaxMs: 0, gcMaxKind: '', gcMs: 0, gcN: 0 };
  // a timer every 5 ms: a gap longer than that is the time something held the loop
  let last = performance.now();
  setInterval(() => {
    const now = performance.now();
    const stall = now - last - TICK_MS;
    last = now;
    if (stall > w.loopMaxMs) w.loopMaxMs = stall;
    if (stall > 20) {
      w.stalls20++;
      w.stallMs += stall;
    }
  }, TICK_MS).unref();
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      w.gcMs += e.duration;
      w.gcN++;
      if (e.duration > w.gcMaxMs) {
        w.gcMaxMs = e.duration;
        w.gcMaxKind = GC_KINDS[e.detail?.kind] ?? String(e.detail?.kind);
      }
    }
  }).observe({ entryTypes: ['gc'] });
  setInterval(() => {
    appendFileSync(out, `${JSON.stringify({ t: Date.now(), ...w })}\n`);
    w = { loopMaxMs: 0, stalls20: 0, stallMs: 0, gcMaxMs: 0, gcMaxKind: '', gcMs: 0, gcN: 0 };
  }, 1000).unref();
}
