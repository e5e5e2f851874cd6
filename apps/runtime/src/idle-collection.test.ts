import { getHeapStatistics } from 'node:v8';
import { describe, expect, it } from 'vitest';
import { collectAndRelease, DEFAULT_IDLE_COLLECT_S, GROWTH_FACTOR, IdleCollection, idleCollectSeconds, MIN_HEAP_BYTES, QUIET_LOOP_SHARE } from './idle-collection.ts';

const MB = 2 ** 20;
const busy = QUIET_LOOP_SHARE + 0.1;
const quiet = QUIET_LOOP_SHARE / 10;

describe('IdleCollection (the decision, one sample a second)', () => {
  it('collects once the loop has been quiet for the set seconds after a burst, and only once per quiet stretch', () => {
    const d = new IdleCollection(5);
    expect([busy, busy].map((s) => d.step(s, 100 * MB))).toEqual([false, false]);
    const stretch = Array.from({ length: 12 }, () => d.step(quiet, 100 * MB));
    expect(stretch.indexOf(true)).toBe(4); // the fifth quiet second
    expect(stretch.filter(Boolean)).toHaveLength(1);
  });

  it('starts counting again at any busy second', () => {
    const d = new IdleCollection(3);
    const seen = [quiet, quiet, busy, quiet, quiet, quiet].map((s) => d.step(s, 100 * MB));
    expect(seen).toEqual([false, false, false, false, false, true]);
  });

  it('leaves a small heap alone, and one that has not grown well past what the last collection left', () => {
    const small = new IdleCollection(1);
    expect(small.step(quiet, MIN_HEAP_BYTES - 1)).toBe(false);
    const d = new IdleCollection(1);
    expect(d.step(quiet, 80 * MB)).toBe(true);
    d.collected(40 * MB);
    d.step(busy, 0);
    expect(d.step(quiet, GROWTH_FACTOR * 40 * MB - 1)).toBe(false); // not grown enough
    d.step(busy, 0);
    expect(d.step(quiet, GROWTH_FACTOR * 40 * MB)).toBe(true);
  });
});

describe('FLOWDESK_IDLE_COLLECT_S', () => {
  it('defaults to 5 s, 0 turns it off, and anything else outside 0–3600 is refused naming the variable', () => {
    expect(DEFAULT_IDLE_COLLECT_S).toBe(5);
    expect(idleCollectSeconds(undefined)).toBe(5);
    expect(idleCollectSeconds('0')).toBe(0);
    expect(idleCollectSeconds('30')).toBe(30);
    for (const bad of ['-1', '3601', '2.5', 'soon']) expect(() => idleCollectSeconds(bad), bad).toThrow(/FLOWDESK_IDLE_COLLECT_S must be an integer from 0 to 3600/);
  });
});

describe('collectAndRelease', () => {
  it('collects the garbage the heap holds', () => {
    let junk: string[] | undefined = Array.from({ length: 200_000 }, (_, i) => `garbage ${i} `.repeat(4));
    const before = getHeapStatistics().used_heap_size;
    expect(junk.length).toBe(200_000);
    junk = undefined;
    collectAndRelease();
    expect(junk).toBeUndefined();
    expect(getHeapStatistics().used_heap_size).toBeLessThan(before - 20 * MB);
  });
});
