import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseGcNvp, summariseGc } from '../../bench/gc-trace.ts';

// three collections as Node 20's V8 printed them with --trace-gc-nvp, and one --trace-gc-verbose line between
const trace = readFileSync(join(import.meta.dirname, 'fixtures/trace-gc-nvp.txt'), 'utf8');

describe('parseGcNvp', () => {
  it('reads each collection line and skips the others', () => {
    const events = parseGcNvp(trace);
    expect(events.map((e) => e.kind)).toEqual(['scavenge', 'mark-compact', 'scavenge']);
    expect(events[0]).toEqual({ kind: 'scavenge', pauseMs: 4.4, allocatedBytes: 8621024, promotedBytes: 845064 });
    expect(events[1]).toMatchObject({ pauseMs: 39.9, promotedBytes: 2006216 });
  });

  it('does not take a field for one whose name ends the same (mutator=, heap.epilogue=…)', () => {
    const [e] = parseGcNvp('[1:0x1]  5 ms: pause=1.5 mutator=99.0 gc=s scavenge.pause=7 allocated=100 promoted=20');
    expect(e).toEqual({ kind: 'scavenge', pauseMs: 1.5, allocatedBytes: 100, promotedBytes: 20 });
  });
});

describe('summariseGc', () => {
  it('gives per-event bytes and pauses of the window', () => {
    const s = summariseGc(parseGcNvp(trace), 1000);
    expect(s.scavenges).toBe(2);
    expect(s.markCompacts).toBe(1);
    expect(s.scavengePauseAvgMs).toBeCloseTo(4.5);
    expect(s.markCompactPauseMaxMs).toBe(39.9);
    expect(s.scavengePromotedPerEvent).toBeCloseTo((845064 + 1224280) / 1000);
    expect(s.markCompactPromotedPerEvent).toBeCloseTo(2006.216);
    expect(s.allocatedPerEvent).toBeCloseTo((8621024 + 13787048 + 6107280) / 1000);
    expect(s.pauseMsPerThousand).toBeCloseTo(4.4 + 39.9 + 4.6);
  });

  it('an empty window is all zeros, not NaN', () => {
    expect(Object.values(summariseGc([], 0)).every((v) => v === 0)).toBe(true);
  });
});
