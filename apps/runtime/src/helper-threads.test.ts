import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { helperNice, lowerHelperThreads, type ThreadOps } from './helper-threads.ts';

describe('FLOWDESK_HELPER_NICE', () => {
  it('is 10 unless set, takes 0 (off) to 19, and refuses anything else naming the variable', () => {
    expect(helperNice(undefined)).toBe(10);
    expect(helperNice(' ')).toBe(10);
    expect(helperNice('0')).toBe(0);
    expect(helperNice('19')).toBe(19);
    for (const bad of ['-1', '20', '5.5', 'low']) expect(() => helperNice(bad)).toThrow(`FLOWDESK_HELPER_NICE must be an integer from 0 to 19, not "${bad}"`);
  });
});

describe('lowerHelperThreads', () => {
  it("lowers every thread of a process but the main one, in the kernel's own view", () => {
    // in a child process of its own (a process cannot take its threads' priority back without privilege)
    const script = `
      import { readdirSync, readFileSync } from 'node:fs';
      import { Worker } from 'node:worker_threads';
      import { lowerHelperThreads } from ${JSON.stringify(new URL('./helper-threads.ts', import.meta.url).href)};
      const nice = (tid) => { const s = readFileSync('/proc/self/task/' + tid + '/stat', 'utf8'); return Number(s.slice(s.lastIndexOf(')') + 2).split(' ')[16]); };
      const worker = new Worker('setInterval(() => {}, 1000)', { eval: true });
      await new Promise((ok) => worker.once('online', ok));
      const mainBefore = nice(process.pid);
      const changed = lowerHelperThreads(7, process.pid);
      const helpers = readdirSync('/proc/self/task').map(Number).filter((t) => t !== process.pid).map(nice);
      const again = lowerHelperThreads(7, process.pid);
      console.log(JSON.stringify({ mainBefore, mainAfter: nice(process.pid), changed, helpers, again }));
      await worker.terminate();`;
    const out = JSON.parse(execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8' }).trim()) as { mainBefore: number; mainAfter: number; changed: number; helpers: number[]; again: number };
    expect(out.changed).toBeGreaterThan(1);
    expect(out.helpers.length).toBeGreaterThan(1);
    for (const n of out.helpers) expect(n).toBeGreaterThanOrEqual(7);
    expect(out.mainAfter).toBe(out.mainBefore);
    // a second sweep finds nothing left to do
    expect(out.again).toBe(0);
  });

  it('leaves a thread already lower alone, skips one that ended, and does nothing without /proc', () => {
    const set: [number, number][] = [];
    const ops: ThreadOps = {
      threads: () => [1, 2, 3, 4],
      getNice: (tid) => {
        if (tid === 4) throw new Error('ESRCH');
        return tid === 3 ? 15 : 0;
      },
      setNice: (tid, nice) => void set.push([tid, nice]),
    };
    expect(lowerHelperThreads(10, 1, ops)).toBe(1);
    expect(set).toEqual([[2, 10]]);
    expect(lowerHelperThreads(10, 1, { ...ops, threads: () => { throw new Error('ENOENT'); } })).toBe(0);
  });
});
