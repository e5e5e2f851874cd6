// The PostgreSQL store's batcher alone (no database): what goes into one statement, and when.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Batcher } from './group-commit.ts';

afterEach(() => {
  vi.useRealTimers();
});

/** A batcher whose "statement" records the batches it was given. */
function recording(minIntervalMs?: number) {
  const batches: string[][] = [];
  const b = new Batcher<string, string>({
    minIntervalMs,
    async run(items) {
      batches.push(items);
      return items.map((x) => x.toUpperCase());
    },
  });
  return { b, batches };
}

describe('Batcher', () => {
  it('gathers the pushes of one turn into one batch; each caller gets its own result', async () => {
    const { b, batches } = recording();
    const out = await Promise.all([b.push('a'), b.push('b'), b.push('c')]);
    expect(out).toEqual(['A', 'B', 'C']);
    expect(batches).toEqual([['a', 'b', 'c']]);
    expect(b.stats).toEqual({ batches: 1, items: 3, largest: 3 });
  });

  it('minIntervalMs: the first batch goes at once; what arrives within the interval waits for it and goes as one batch', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'setImmediate', 'performance'] });
    const { b, batches } = recording(25);
    const first = b.push('a');
    await vi.advanceTimersByTimeAsync(0);
    expect(await first).toBe('A');
    expect(batches).toEqual([['a']]);
    const later = [b.push('b')];
    await vi.advanceTimersByTimeAsync(10);
    later.push(b.push('c'));
    await vi.advanceTimersByTimeAsync(10);
    later.push(b.push('d'));
    // 20 ms after the first batch: nothing sent yet
    expect(batches).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(5);
    expect(await Promise.all(later)).toEqual(['B', 'C', 'D']);
    expect(batches).toEqual([['a'], ['b', 'c', 'd']]);
    await b.idle();
  });
});
