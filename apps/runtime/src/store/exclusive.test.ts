import { describe, expect, it } from 'vitest';
import { createLocalExclusive } from './exclusive.ts';

describe('createLocalExclusive', () => {
  it('runs the tasks of one name one at a time, in call order, a throwing task not stopping the next', async () => {
    const exclusive = createLocalExclusive();
    const log: string[] = [];
    let inside = 0;
    let most = 0;
    const task = (tag: string, fail = false) => async () => {
      inside++;
      most = Math.max(most, inside);
      log.push(`${tag}+`);
      await new Promise((r) => setImmediate(r));
      log.push(`${tag}-`);
      inside--;
      if (fail) throw new Error(tag);
      return tag;
    };
    const out = await Promise.allSettled([exclusive('x', task('a')), exclusive('x', task('b', true)), exclusive('x', task('c'))]);
    expect(out.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(log).toEqual(['a+', 'a-', 'b+', 'b-', 'c+', 'c-']);
    expect(most).toBe(1);
  });

  it('tasks of different names run side by side', async () => {
    const exclusive = createLocalExclusive();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const first = exclusive('x', () => gate.then(() => 'x'));
    expect(await exclusive('y', async () => 'y')).toBe('y'); // not queued behind x
    release();
    expect(await first).toBe('x');
  });
});
