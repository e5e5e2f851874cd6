// V8's `--trace-gc-nvp` lines (one per collection: `name=value` pairs) read into counters: how many
// scavenges and mark-compacts a window of events cost, their pauses, and the bytes each event
// allocated and had promoted to the old generation (what makes mark-compacts come).

export interface GcEvent {
  kind: 'scavenge' | 'mark-compact' | 'other';
  pauseMs: number;
  /** bytes allocated since the previous collection */
  allocatedBytes: number;
  /** bytes this collection moved from the young generation to the old one */
  promotedBytes: number;
}

export interface GcSummary {
  scavenges: number;
  scavengePauseAvgMs: number;
  markCompacts: number;
  markCompactPauseAvgMs: number;
  markCompactPauseMaxMs: number;
  /** bytes per event, over every collection in the window */
  allocatedPerEvent: number;
  /** bytes per event promoted by scavenges (objects that outlived two of them) */
  scavengePromotedPerEvent: number;
  /** bytes per event promoted by mark-compacts (they promote every live young object) */
  markCompactPromotedPerEvent: number;
  /** every pause's ms per 1,000 events */
  pauseMsPerThousand: number;
}

const KINDS: Record<string, GcEvent['kind']> = { s: 'scavenge', mc: 'mark-compact' };

/** The collections in `text` (other output lines are skipped). */
export function parseGcNvp(text: string): GcEvent[] {
  const out: GcEvent[] = [];
  for (const line of text.split('\n')) {
    const kind = / gc=(\w+)/.exec(line)?.[1];
    if (kind === undefined) continue;
    const num = (name: string): number => Number(new RegExp(` ${name}=([0-9.]+)`).exec(line)?.[1] ?? NaN);
    out.push({ kind: KINDS[kind] ?? 'other', pauseMs: num('pause'), allocatedBytes: num('allocated'), promotedBytes: num('promoted') });
  }
  return out;
}

export function summariseGc(events: GcEvent[], eventsHandled: number): GcSummary {
  const n = Math.max(1, eventsHandled);
  const of = (k: GcEvent['kind']) => events.filter((e) => e.kind === k);
  const sum = (xs: GcEvent[], f: (e: GcEvent) => number) => xs.reduce((a, e) => a + (Number.isFinite(f(e)) ? f(e) : 0), 0);
  const sc = of('scavenge');
  const mc = of('mark-compact');
  return {
    scavenges: sc.length,
    scavengePauseAvgMs: sc.length ? sum(sc, (e) => e.pauseMs) / sc.length : 0,
    markCompacts: mc.length,
    markCompactPauseAvgMs: mc.length ? sum(mc, (e) => e.pauseMs) / mc.length : 0,
    markCompactPauseMaxMs: Math.max(0, ...mc.map((e) => e.pauseMs)),
    allocatedPerEvent: sum(events, (e) => e.allocatedBytes) / n,
    scavengePromotedPerEvent: sum(sc, (e) => e.promotedBytes) / n,
    markCompactPromotedPerEvent: sum(mc, (e) => e.promotedBytes) / n,
    pauseMsPerThousand: (sum(events, (e) => e.pauseMs) / n) * 1000,
  };
}
