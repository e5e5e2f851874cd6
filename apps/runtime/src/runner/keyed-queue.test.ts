import { describe, expect, it } from 'vitest';
import { KeyedQueue, Semaphore } from './keyed-queue.ts';

describe('KeyedQueue', () => {
  it('runs tasks of one key one at a time in push order, other keys alongside', async () => {
    const q = new KeyedQueue();
    const log: string[] = [];
    const task = (name: string, ms: number) => () => new Promise<void>((ok) => setTimeout(() => (log.push(name), ok()), ms));
    void q.push('a', task('a1', 30));
    void q.push('a', task('a2', 1));
    void q.push('b', task('b1', 5));
    await q.idle();
    expect(log).toEqual(['b1', 'a1', 'a2']);
  });
  it('a failing task does not stop the ones after it', async () => {
    const q = new KeyedQueue();
    const log: string[] = [];
    void q.push('k', () => Promise.reject(new Error('boom')));
    void q.push('k', async () => void log.push('after'));
    await q.idle();
    expect(log).toEqual(['after']);
  });
});

describe('Semaphore', () => {
  it('never runs more than its limit and wakes waiters in arrival order', async () => {
    const s = new Semaphore(3);
    let active = 0;
    let peak = 0;
    const order: number[] = [];
    await Promise.all(
      Array.from({ length: 3000 }, (_, i) =>
        s.run(async () => {
          active++;
          peak = Math.max(peak, active);
          order.push(i);
          await new Promise((r) => setImmediate(r));
          active--;
        }),
      ),
    );
    expect(peak).toBe(3);
    expect(order).toEqual([...order].sort((a, b) => a - b));
  });
});
