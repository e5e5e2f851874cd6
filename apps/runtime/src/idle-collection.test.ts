import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { getHeapStatistics } from 'node:v8';
import { describe, expect, it } from 'vitest';
import { collectAndRelease, DEFAULT_IDLE_COLLECT_S, GROWTH_FACTOR, IdleCollection, idleCollectSeconds, MIN_HEAP_BYTES, QUIET_LOOP_SHARE, YOUNG_RELEASE_BYTES } from './idle-collection.ts';

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

describe('IdleCollection and the young generation', () => {
  it('collects when the young generation is held, however small the heap, and again each stretch later while it still is, three times at most', () => {
    const d = new IdleCollection(3);
    const held = YOUNG_RELEASE_BYTES + 1;
    const seen = Array.from({ length: 15 }, () => d.step(quiet, MIN_HEAP_BYTES / 4, held));
    expect(seen.map((due, i) => (due ? i + 1 : 0)).filter(Boolean)).toEqual([3, 6, 9]); // never a fourth time
    // given back after the first: no second
    const e = new IdleCollection(3);
    expect([1, 2, 3].map(() => e.step(quiet, MIN_HEAP_BYTES / 4, held))).toEqual([false, false, true]);
    expect([4, 5, 6].map(() => e.step(quiet, MIN_HEAP_BYTES / 4, 2 * MB))).toEqual([false, false, false]);
    // a young generation at V8's starting size and a small heap: nothing to do
    const idle = new IdleCollection(3);
    expect(Array.from({ length: 9 }, () => idle.step(quiet, MIN_HEAP_BYTES / 4, 2 * MB)).some(Boolean)).toBe(false);
  });

  it('a collection in a quiet stretch gives a grown young generation back (V8 in a child process; its allocation-rate window is wall time)', () => {
    // grown to 64 MB under a burst, then ~5 s of an idle runtime's allocation: V8 shrinks it at the collection
    const script = `
      import { collectAndRelease, youngCommitted } from ${JSON.stringify(join(import.meta.dirname, 'idle-collection.ts'))};
      let keep = [];
      for (let i = 0; i < 3e6; i++) { keep.push({ i, s: 'x' + i }); if (keep.length > 300000) keep = []; }
      keep = undefined;
      const grown = youngCommitted();
      let tick; const t = setInterval(() => { tick = { at: Date.now() }; }, 100); // what an idle runtime's timers allocate
      setTimeout(() => { collectAndRelease(); setTimeout(() => { collectAndRelease(); clearInterval(t); console.log(JSON.stringify({ grown, after: youngCommitted() })); }, 5500); }, 5500);`;
    const r = spawnSync(process.execPath, ['--max-semi-space-size=32', '--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    const { grown, after } = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { grown: number; after: number };
    expect(grown).toBeGreaterThan(32 * MB);
    expect(after).toBeLessThan(YOUNG_RELEASE_BYTES);
  }, 60_000);
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
