import { describe, expect, it } from 'vitest';
import { KeyedQueue, Semaphore } from './keyed-queue.ts';

describe('KeyedQueue', () => {
  it('runs tasks of one key one at a time in push order, other keys alongside', async () => {
    const q = new KeyedQueue();
    const log: string[] = [];
    // each task runs until the test releases it: order comes from the queue, not from timers
    const gates = new Map<string, () => void>();
    const task = (name: string) => () => new Promise<void>((ok) => (log.push(`start ${name}`), gates.set(name, () => (log.push(`end ${name}`), ok()))));
    const tick = () => new Promise((r) => setImmediate(r));
    void q.push('a', task('a1'));
    void q.push('a', task('a2'));
    void q.push('b', task('b1'));
    await tick();
    expect(log).toEqual(['start a1', 'start b1']); // b1 alongside a1; a2 waits for a1
    expect(q.size).toBe(3);
    gates.get('b1')!();
    await tick();
    expect(log).toEqual(['start a1', 'start b1', 'end b1']);
    gates.get('a1')!();
    await tick();
    expect(log.slice(3)).toEqual(['end a1', 'start a2']);
    gates.get('a2')!();
    await q.idle();
    expect(log.at(-1)).toBe('end a2');
    expect(q.size).toBe(0);
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
